package app

import (
	"context"
	"time"

	"nongfu/internal/books"
	"nongfu/internal/demo"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
)

// Wiring of the bookkeeping room: constructor, indicator sources, importers and demo data.

func (a *App) newBooks(ctx context.Context) error {
	a.Books = books.NewService(a.DB, a.Registry)
	return nil
}

func (a *App) booksSources() []indicator.Source { return nil }

func (a *App) booksImporters() []imports.Importer { return nil }

func (a *App) seedBooks(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Books.SeedDemo(ctx, tx, res.Orgs["cooperative"], time.Now().Year())
}
