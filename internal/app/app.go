// Package app wires the rooms into one application: it opens the database, checks the personal-data key,
// applies every room's migrations, and builds the HTTP server. cmd/nongfu and the end-to-end tests use it.
package app

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"nongfu/internal/books"
	"nongfu/internal/credit"
	"nongfu/internal/federation"
	"nongfu/internal/indicator"
	"nongfu/internal/market"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/platform/migrations"
	"nongfu/internal/platform/pii"
	"nongfu/internal/platform/web"
	"nongfu/internal/reform"
	"nongfu/internal/region"
	"nongfu/internal/registry"
	"nongfu/internal/service"
	"nongfu/internal/supervision"
	"nongfu/internal/supply"
)

// Config is how the application starts.
type Config struct {
	DSN     string // sqlite:FILE or postgres://…
	Key     string // base64 personal-data key (NONGFU_KEY)
	KeyFile string // file holding the key (NONGFU_KEY_FILE)
	Demo    bool   // demo database: a missing key file is created
	Log     *slog.Logger
}

// App is the running application.
type App struct {
	DB         *db.DB
	Box        *pii.Box
	Auth       *auth.Service
	Regions    *region.Service
	Registry   *registry.Service
	Federation *federation.Service
	Books      *books.Service
	Credit     *credit.Service
	Indicators *indicator.Service
	Plan       *reform.Service
	Supply     *supply.Service
	Services   *service.Service
	Market     *market.Service
	// Supervision is the plan's supervision room (progress reports, 督办, funds).
	Supervision *supervision.Service
	Jobs        *jobs.Service
	Server      *web.Server
	Log         *slog.Logger
	cancel      context.CancelFunc
}

// Rooms lists every room's migrations in dependency order.
func Rooms() []db.Migrations {
	return []db.Migrations{migrations.Platform, region.Migrations, registry.Migrations, federation.Migrations, books.Migrations, credit.Migrations, supply.Migrations, market.Migrations, service.Migrations, indicator.Migrations, reform.Migrations, supervision.Migrations}
}

// Open starts the application on cfg.DSN.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	d, err := db.Open(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	return New(ctx, d, cfg)
}

// New starts the application on an open database (tests hand in theirs); on error d is closed.
func New(ctx context.Context, d *db.DB, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var err error
	a := &App{DB: d, Log: cfg.Log}
	if err := d.Migrate(ctx, Rooms()...); err != nil {
		d.Close()
		return nil, err
	}
	if a.Box, err = openKey(ctx, d, cfg); err != nil {
		d.Close()
		return nil, err
	}
	a.Auth = auth.NewService(d)
	a.Regions = region.NewService(d)
	if err := a.Regions.Load(ctx); err != nil {
		d.Close()
		return nil, err
	}
	a.Registry = registry.NewService(d, a.Regions, a.Box)
	a.Regions.Counter = a.Registry.CountByRegion
	if err := a.Registry.Init(ctx); err != nil {
		d.Close()
		return nil, err
	}
	// each room's constructor lives in its wiring file (wire_<room>.go); the order is the dependency order
	for _, step := range []func(context.Context) error{a.newFederation, a.newBooks, a.newServices, a.newSupply, a.newMarket,
		a.newCredit, a.newPlan, a.newSupervision} {
		if err := step(ctx); err != nil {
			d.Close()
			return nil, err
		}
	}
	a.linkRooms()
	jctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.Jobs = jobs.NewService(jctx, d, cfg.Log)
	if err := a.Jobs.Recover(ctx); err != nil {
		cancel()
		d.Close()
		return nil, err
	}
	return a, nil
}

// BuildServer makes the HTTP server with every room's routes.
func (a *App) BuildServer(demo bool) *web.Server {
	srv := web.NewServer(a.Auth, a.Log)
	srv.Health = a.DB.Ping
	srv.AccountRoutes(demo)
	a.Regions.Routes(srv)
	a.Registry.Routes(srv)
	a.Federation.Routes(srv)
	a.Books.Routes(srv)
	a.Credit.Routes(srv)
	a.Supply.Routes(srv)
	a.Services.Routes(srv)
	a.Market.Routes(srv)
	a.Plan.Routes(srv)
	a.Supervision.Routes(srv)
	imports.Routes(srv, a.DB, a.Jobs, a.Importers()...)
	AdminRoutes(srv, a)
	a.Server = srv
	return srv
}

// Importers are the sheets staff can import, collected from each room's wiring file.
func (a *App) Importers() []imports.Importer {
	var out []imports.Importer
	for _, f := range []func() []imports.Importer{a.registryImporters, a.federationImporters, a.booksImporters, a.serviceImporters,
		a.supplyImporters, a.marketImporters, a.creditImporters, a.reformImporters, a.supervisionImporters} {
		out = append(out, f()...)
	}
	return out
}

// Importer finds an importer by name.
func (a *App) Importer(name string) (imports.Importer, bool) {
	for _, i := range a.Importers() {
		if i.Name() == name {
			return i, true
		}
	}
	return nil, false
}

// Handler is the HTTP handler.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Close stops jobs and closes the database.
func (a *App) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	if a.Jobs != nil {
		a.Jobs.Wait()
	}
	return a.DB.Close()
}

// ErrNoKey is returned when encrypted data exists but no key was configured.
var ErrNoKey = errors.New("数据库中已有加密的个人信息，但没有配置密钥：请设置环境变量 NONGFU_KEY（base64）或 NONGFU_KEY_FILE（密钥文件路径）")

// DefaultKeyFile is where the key of a database lives when none is configured: beside a SQLite file, or in the
// user's config directory for PostgreSQL.
func DefaultKeyFile(d *db.DB) string {
	if d.Engine() == db.SQLite {
		return d.Path() + ".key"
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	h := sha256.Sum256([]byte(d.DSN()))
	return filepath.Join(dir, "nongfu", "pg-"+hex.EncodeToString(h[:6])+".key")
}

// openKey finds the personal-data key and checks it against the fingerprint stored in the database. Never falls
// back to plaintext: a database with a fingerprint and no key does not start.
func openKey(ctx context.Context, d *db.DB, cfg Config) (*pii.Box, error) {
	var stored string
	err := d.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'pii_key_fingerprint'`).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read key fingerprint: %w", err)
	}
	var key []byte
	switch {
	case cfg.Key != "":
		if key, err = pii.DecodeKey(cfg.Key); err != nil {
			return nil, fmt.Errorf("NONGFU_KEY: %w", err)
		}
	case cfg.KeyFile != "":
		if key, err = pii.LoadOrCreateKeyFile(cfg.KeyFile, stored == "" && cfg.Demo); err != nil {
			return nil, fmt.Errorf("密钥文件 %s：%w", cfg.KeyFile, err)
		}
	default:
		path := DefaultKeyFile(d)
		_, statErr := os.Stat(path)
		// A new database gets a key file of its own (demo, or a first SQLite start); an existing one must find its key.
		create := stored == "" && (cfg.Demo || d.Engine() == db.SQLite)
		if statErr != nil && !create {
			if stored != "" {
				return nil, ErrNoKey
			}
			return nil, errors.New("PostgreSQL 部署须配置个人信息加密密钥：设置 NONGFU_KEY 或 NONGFU_KEY_FILE（可用 nongfu keygen 生成）")
		}
		if create {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, err
			}
		}
		if key, err = pii.LoadOrCreateKeyFile(path, create); err != nil {
			return nil, fmt.Errorf("密钥文件 %s：%w", path, err)
		}
	}
	box, err := pii.New(key)
	if err != nil {
		return nil, err
	}
	if stored == "" {
		if _, err := d.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('pii_key_fingerprint', ?)`, box.Fingerprint()); err != nil {
			return nil, fmt.Errorf("store key fingerprint: %w", err)
		}
	} else if stored != box.Fingerprint() {
		return nil, errors.New("个人信息加密密钥与数据库不匹配（密钥指纹不同）：请使用创建该数据库时的密钥")
	}
	return box, nil
}

// IsDemo reports whether the database was made by the demo loader.
func (a *App) IsDemo(ctx context.Context) bool {
	var v string
	err := a.DB.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'demo'`).Scan(&v)
	return err == nil && v == "1"
}

// SubjectCount is the number of subjects (an empty database gets the demo with --demo).
func (a *App) SubjectCount(ctx context.Context) (int, error) {
	var n int
	err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&n)
	return n, err
}
