package main

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"

	"github.com/exemplarlink/exemplarlinkprocessor"
)

// processorConfig is exemplar_link's config: the factory's defaults, with
// the processors::<id> section of the collector config at path unmarshalled
// over them (${env:...} references resolved as the collector does), and
// validated. It also returns the configured trace_context_labels.
func processorConfig(ctx context.Context, path, id string) (component.Config, []string, error) {
	f := exemplarlinkprocessor.NewFactory()
	cfg := f.CreateDefaultConfig()
	if path != "" {
		var pid component.ID
		if err := pid.UnmarshalText([]byte(id)); err != nil {
			return nil, nil, usageError{fmt.Sprintf("--processor %q: %v", id, err)}
		}
		if pid.Type() != f.Type() {
			return nil, nil, usageError{fmt.Sprintf("--processor %q is not an %s processor", id, f.Type())}
		}
		resolver, err := confmap.NewResolver(confmap.ResolverSettings{
			URIs:              []string{"file:" + path},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
			DefaultScheme:     "env",
		})
		if err != nil {
			return nil, nil, fmt.Errorf("--config %s: %w", path, err)
		}
		conf, err := resolver.Resolve(ctx)
		_ = resolver.Shutdown(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("--config %s: %w", path, err)
		}
		procs, err := conf.Sub("processors")
		if err != nil {
			return nil, nil, fmt.Errorf("--config %s: processors: %w", path, err)
		}
		if _, ok := procs.ToStringMap()[id]; !ok {
			return nil, nil, fmt.Errorf("--config %s: no processors::%s section", path, id)
		}
		sub, err := procs.Sub(id)
		if err != nil {
			return nil, nil, fmt.Errorf("--config %s: processors::%s: %w", path, id, err)
		}
		if err := sub.Unmarshal(cfg); err != nil {
			return nil, nil, fmt.Errorf("--config %s: processors::%s: %w", path, id, err)
		}
	}
	if err := confmap.Validate(cfg); err != nil {
		return nil, nil, fmt.Errorf("--config %s: processors::%s: %w", path, id, err)
	}
	var contextLabels []string
	if c, ok := cfg.(*exemplarlinkprocessor.Config); ok {
		contextLabels = c.TraceContextLabels
	}
	return cfg, contextLabels, nil
}
