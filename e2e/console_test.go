package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/exemplarlink/exemplarlinkprocessor/gcpstandin"
)

// browserTimeout bounds the whole browser session.
const browserTimeout = 90 * time.Second

// findChromium is the headless browser to drive: $CHROMIUM, or Debian's
// chromium (apt-get install chromium), or a Chrome on the PATH.
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// testConsole loads the stand-in's console in headless Chromium, checks
// that the heatmap and exemplar circles are drawn, clicks an exemplar
// without a link and one whose link resolves, and finds the verdict and the
// span's name in the trace view. It keeps a screenshot, console.png, in
// artefacts.
func testConsole(t *testing.T, srv *gcpstandin.Server, artefacts string) {
	browser := findChromium()
	if browser == "" {
		t.Skip("no chromium found (set CHROMIUM, or apt-get install chromium): the console's browser test is skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container has no user namespace sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1080, 1240),
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	if err := chromedp.Do(bctx,
		chromedp.Navigate(srv.ConsoleURL()),
		chromedp.WaitVisible(chromedp.CSS(`body[data-drawn="true"]`)),
	); err != nil {
		t.Fatalf("loading the console: %v", err)
	}
	cells, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#heatmap rect.cell").length`))
	if err != nil {
		t.Fatal(err)
	}
	circles, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#heatmap circle.exemplar").length`))
	if err != nil {
		t.Fatal(err)
	}
	if cells == 0 || circles == 0 {
		t.Fatalf("the console drew %d heatmap cells and %d exemplar circles; want both", cells, circles)
	}
	pageText, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pageText, "not Google's console") || !strings.Contains(pageText, "Exemplars received:") {
		t.Errorf("the page does not say it is a stand-in, or has no summary line:\n%s", pageText)
	}
	t.Logf("console: %d heatmap cells, %d exemplar circles", cells, circles)

	// An exemplar without a link: the view says so. (Clicked by script:
	// grey circles may lie under others.)
	if err := chromedp.Do(bctx,
		chromedp.Evaluate[chromedp.Void](`void document.querySelector("#exemplars circle.unlinked").dispatchEvent(new MouseEvent("click", {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`#verdict`)),
	); err != nil {
		t.Fatalf("opening an unlinked exemplar: %v", err)
	}
	verdict, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#verdict`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(verdict, "No link") {
		t.Errorf("unlinked exemplar: verdict %q, want No link", verdict)
	}

	// The topmost circle is a resolved one (they are drawn last): a real
	// mouse click at its centre opens its span.
	const topmost = `#exemplars circle:last-of-type`
	attr, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(topmost), "data-span-name"))
	if err != nil {
		t.Fatal(err)
	}
	spanName := attr.Value
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(topmost)),
		chromedp.WaitVisible(chromedp.CSS(`#waterfall tr.linked`)),
	); err != nil {
		t.Fatalf("opening a linked exemplar: %v", err)
	}
	traceText, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#trace`)))
	if err != nil {
		t.Fatal(err)
	}
	sp := srv.Span(spanName)
	if sp == nil {
		t.Fatalf("the clicked circle links to %q, which the stand-in does not hold", spanName)
	}
	name := sp.GetDisplayName().GetValue()
	if !strings.Contains(traceText, "The link opens span “"+name+"”") || !strings.Contains(traceText, spanName) {
		t.Errorf("trace view after clicking %s does not show span %q:\n%s", spanName, name, traceText)
	}
	if !strings.Contains(traceText, "compute") {
		t.Errorf("trace view does not show the request's child span compute:\n%s", traceText)
	}

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(artefacts, "console.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("clicked %s (%q); screenshot %s (%d bytes)", spanName, name, shot, len(png))
}
