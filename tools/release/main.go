// Command release keeps every collector module the repository builds on
// the release that release.mk names.
//
//	release check            fail unless every module is on its release
//	release sync             move the other modules and builder-config.yaml
//	                         to COLLECTOR_RELEASE, then check
//	release check-manifest   fail unless every builder-config.yaml line is on it
//	release check-module DIR fail unless the module in DIR (e.g. the one ocb
//	                         generates) builds on COLLECTOR_RELEASE
//	release move DIR vX.Y.Z  move the module in DIR to that release
//	                         (tools/compat.sh uses it on scratch copies)
//	release stable v0.165.0  print the matching 1.x version (v1.71.0)
//	release compat-manifest vX.Y.Z MODULE OUT
//	                         print make compat's collector manifest
//	release compat-components vX.Y.Z
//	                         print what that collector must list
//
// The processor module (the repository root) must build on
// COLLECTOR_MIN_RELEASE; every other module with a go.mod, and
// builder-config.yaml, on COLLECTOR_RELEASE. What counts is what the build
// compiles (`go list -deps -test`), not what go.mod happens to require:
// core's stable modules at v1.<minor-94>.x, core's others and every contrib
// module at v0.<minor>.x. COLLECTOR_HELD names a module held back, with the
// reason in release.mk; the contrib modules it brings along at its version
// are tolerated in the modules that require it.
//
// Run it from anywhere in the repository: `go run ./tools/release check`
// (the Makefile's release-check and release-sync do). GO names the go
// command (default go).
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const usage = "usage: release check|sync|check-manifest|check-module DIR|move DIR vX.Y.Z|stable vX.Y.Z|compat-manifest vX.Y.Z MODULE OUT|compat-components vX.Y.Z"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{}

func (usageError) Error() string { return usage }

func run(args []string) error {
	if len(args) == 0 {
		return usageError{}
	}
	// The commands that read no file.
	switch {
	case args[0] == "stable" && len(args) == 2:
		return printText(stable(args[1]))
	case args[0] == "compat-manifest" && len(args) == 4:
		return printText(compatManifest(args[1], args[2], args[3]))
	case args[0] == "compat-components" && len(args) == 2:
		c, err := compatComponents(args[1])
		return printText(strings.Join(c, "\n"), err)
	case args[0] == "stable" || strings.HasPrefix(args[0], "compat-"):
		return usageError{}
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	r, err := readReleases(filepath.Join(root, "release.mk"))
	if err != nil {
		return err
	}
	t := tool{root: root, cfg: r, gocmd: goCommand()}
	switch {
	case args[0] == "check" && len(args) == 1:
		return t.check()
	case args[0] == "sync" && len(args) == 1:
		return t.sync()
	case args[0] == "check-manifest" && len(args) == 1:
		return t.checkManifest()
	case args[0] == "check-module" && len(args) == 2:
		return t.checkModule(args[1])
	case args[0] == "move" && len(args) == 3:
		return t.syncModule(args[1], args[2])
	}
	return usageError{}
}

// printText prints s ending in one line break, unless err.
func printText(s string, err error) error {
	if err != nil {
		return err
	}
	fmt.Println(strings.TrimSuffix(s, "\n"))
	return nil
}

func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// repoRoot is the repository's top directory: this tool's own ../.., as
// git knows it.
func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("release: not in the repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

type tool struct {
	root  string
	cfg   releases
	gocmd string
}

// builtModules lists the collector modules that dir's build (tests
// included) compiles.
func (t tool) builtModules(dir string, flags ...string) ([]module, error) {
	args := append(append([]string{"list"}, flags...), "-deps", "-test", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{end}}", "./...")
	cmd := exec.Command(t.gocmd, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: go list failed: %w", t.name(dir), err)
	}
	return collectorModules(string(out)), nil
}

// name names dir relative to the repository for messages.
func (t tool) name(dir string) string {
	if r, err := filepath.Rel(t.root, dir); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return dir
}

// otherModules are the directories of every tracked go.mod but the root's.
func (t tool) otherModules() ([]string, error) {
	cmd := exec.Command("git", "ls-files", "*/go.mod")
	cmd.Dir = t.root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-files: %w", err)
	}
	var dirs []string
	for _, f := range strings.Fields(string(out)) {
		dirs = append(dirs, filepath.Join(t.root, filepath.Dir(f)))
	}
	return dirs, nil
}

func (t tool) offRelease(dir, want string) ([]string, error) {
	mods, err := t.builtModules(dir)
	if err != nil {
		return nil, err
	}
	return offRelease(t.name(dir), mods, want, t.cfg.held())
}

func (t tool) check() error {
	bad, err := t.offRelease(t.root, t.cfg.min)
	if err != nil {
		return err
	}
	others, err := t.otherModules()
	if err != nil {
		return err
	}
	for _, d := range others {
		b, err := t.offRelease(d, t.cfg.newest)
		if err != nil {
			return err
		}
		bad = append(bad, b...)
	}
	manifest, err := t.manifestOff()
	if err != nil {
		return err
	}
	bad = append(bad, manifest...)
	if len(bad) > 0 {
		return fmt.Errorf("collector modules off their release (release.mk: processor module %s, everything else %s):\n%s\nrun 'make release-sync' to move them",
			t.cfg.min, t.cfg.newest, strings.Join(bad, "\n"))
	}
	held := ""
	if t.cfg.heldPath != "" {
		held = fmt.Sprintf(" (%s@%s held, see release.mk)", t.cfg.heldPath, t.cfg.heldVersion)
	}
	fmt.Printf("release check: processor module on %s; %d other modules and builder-config.yaml on %s%s\n", t.cfg.min, len(others), t.cfg.newest, held)
	return nil
}

func (t tool) manifestOff() ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(t.root, "builder-config.yaml"))
	if err != nil {
		return nil, err
	}
	return manifestOffRelease(string(raw), t.cfg.newest), nil
}

func (t tool) checkManifest() error {
	bad, err := t.manifestOff()
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s\nrun 'make release-sync'", strings.Join(bad, "\n"))
	}
	return nil
}

func (t tool) checkModule(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	bad, err := t.offRelease(abs, t.cfg.newest)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "\n"))
	}
	return nil
}

// syncModule go-gets every collector module that dir builds at release to
// (the held one and what it brings along stay), then tidies.
func (t tool) syncModule(dir, to string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	mods, err := t.builtModules(abs, "-mod=mod")
	if err != nil {
		return err
	}
	var args []string
	for _, m := range mods {
		switch {
		case m.path == t.cfg.heldPath:
			args = append(args, m.path+"@"+t.cfg.heldVersion)
		case t.cfg.heldPath != "" && m.version == t.cfg.heldVersion && strings.HasPrefix(m.path, contrib):
		default:
			v, err := t.versionAtRelease(m.path, to)
			if err != nil {
				return err
			}
			args = append(args, m.path+"@"+v)
		}
	}
	if len(args) == 0 {
		return nil
	}
	fmt.Printf("%s: go get %d collector modules at %s\n", t.name(abs), len(args), to)
	for _, step := range [][]string{append([]string{"get"}, args...), {"mod", "tidy"}} {
		cmd := exec.Command(t.gocmd, step...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = abs, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: go %s: %w", t.name(abs), step[0], err)
		}
	}
	return nil
}

// versionAtRelease is the module's version in release: v0.<minor>.0, or
// v1.<minor-94>.0 for a module that is stable by then (modules graduate to
// 1.x between releases).
func (t tool) versionAtRelease(path, release string) (string, error) {
	out, err := exec.Command(t.gocmd, "list", "-m", "-versions", path).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m -versions %s: %w", path, err)
	}
	return pickVersion(strings.Fields(string(out)), release)
}

func (t tool) sync() error {
	others, err := t.otherModules()
	if err != nil {
		return err
	}
	for _, d := range others {
		if err := t.syncModule(d, t.cfg.newest); err != nil {
			return err
		}
	}
	path := filepath.Join(t.root, "builder-config.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(moveManifest(string(raw), t.cfg.newest)), 0o644); err != nil { //nolint:gosec // a tracked file, not a secret
		return err
	}
	return t.check()
}
