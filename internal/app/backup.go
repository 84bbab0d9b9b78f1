package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"nongfu/internal/platform/db"
)

// Backup writes a consistent copy of the database while it keeps serving: SQLite's VACUUM INTO reads one
// snapshot; PostgreSQL deployments use pg_dump, which this command points to.
func (a *App) Backup(ctx context.Context, path string) error {
	if a.DB.Engine() != db.SQLite {
		return errors.New("PostgreSQL 请使用 pg_dump 备份（它同样在服务运行时得到一致的快照）")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("目标文件已存在：%s", path)
	}
	if _, err := a.DB.Raw().ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
