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

func (a *App) booksSources() []indicator.Source {
	return []indicator.Source{
		booksSource{key: "books.orgs", name: "统一财务代账组织数（财务代账模块；筛选 kind）", fn: func(ctx context.Context, q indicator.Query, ps []string) ([]float64, error) {
			return a.Books.FigureOrgs(ctx, books.FigureFilter{From: q.From, To: q.To, Kind: q.Filter["kind"]}, ps)
		}},
		booksSource{key: "books.vouchers", name: "已记账凭证数（按凭证日期，财务代账模块）", fn: func(ctx context.Context, q indicator.Query, ps []string) ([]float64, error) {
			return a.Books.FigureVouchers(ctx, books.FigureFilter{From: q.From, To: q.To}, ps)
		}},
		booksSource{key: "coop.demo_coops", name: "在册农民合作社示范社（已认定未撤销；筛选 level：county/city/national）", fn: func(ctx context.Context, q indicator.Query, ps []string) ([]float64, error) {
			return a.Books.CountExemplary(ctx, q.Filter["level"], q.To, ps)
		}},
		booksSource{key: "books.share_capital_yuan", name: "成员股金（元，已记账出资加减转让，财务代账模块）", fn: func(ctx context.Context, q indicator.Query, ps []string) ([]float64, error) {
			return a.Books.FigureShareCapital(ctx, books.FigureFilter{To: q.To}, ps)
		}},
	}
}

// booksSource adapts one of the room's batch figures to indicator.BatchSource.
type booksSource struct {
	key, name string
	fn        func(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error)
}

func (s booksSource) Key() string  { return s.key }
func (s booksSource) Name() string { return s.name }
func (s booksSource) Value(ctx context.Context, q indicator.Query) (float64, error) {
	v, err := s.fn(ctx, q, []string{q.RegionPrefix})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}
func (s booksSource) Values(ctx context.Context, q indicator.Query, prefixes []string) ([]float64, error) {
	return s.fn(ctx, q, prefixes)
}

func (a *App) booksImporters() []imports.Importer {
	return []imports.Importer{books.OpeningImporter{S: a.Books}}
}

func (a *App) seedBooks(ctx context.Context, tx *db.Tx, res demo.Result) error {
	return a.Books.SeedDemo(ctx, tx, res.Orgs["cooperative"], time.Now().Year())
}
