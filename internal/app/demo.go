package app

import (
	"context"

	"nongfu/internal/demo"
)

// AfterDemo lets rooms add their demo data once the register is loaded.
func (a *App) AfterDemo(ctx context.Context, res demo.Result) error {
	return nil
}
