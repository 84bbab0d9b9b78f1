// Package migrations holds the platform's own schema: settings, users, sessions, the audit chain and jobs.
package migrations

import (
	"embed"

	"nongfu/internal/platform/db"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Platform is the platform room's migration set; it is applied before every domain room.
var Platform = db.Migrations{Room: "platform", FS: files}
