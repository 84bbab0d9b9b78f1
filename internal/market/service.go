// Package market is the produce-marketing room (产销对接): supply and demand listings, matching, order contracts
// (订单农业) with fulfilment, regional public brands (区域公用品牌) with authorised users and batch codes, and
// marketing events.
package market

import (
	"context"
	"embed"

	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after registry: listings and contracts refer to subjects by id).
var Migrations = db.RoomMigrations("market", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	regions  *region.Service
	subjects *registry.Service
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service) *Service {
	return &Service{db: d, regions: regions, subjects: subjects}
}

// Routes registers the room's pages and API.
func (s *Service) Routes(srv *web.Server) {}

// SeedDemo adds the room's demo data.
func (s *Service) SeedDemo(ctx context.Context, tx *db.Tx) error { return nil }
