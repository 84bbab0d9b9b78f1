// Package jobs runs long work (imports, batch ratings, dispatch runs) in the background with progress that a
// user can leave and revisit: state lives in the jobs table, result files in job_files.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// Job is one unit of background work.
type Job struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Status     string     `json:"status"` // running, done, failed
	Done       int        `json:"done"`
	Total      int        `json:"total"`
	Message    string     `json:"message"`
	Result     string     `json:"result"`
	UserID     int64      `json:"user_id"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Files      []string   `json:"files"`
}

// Percent is the progress in percent.
func (j Job) Percent() int {
	if j.Total == 0 {
		if j.Status == "done" {
			return 100
		}
		return 0
	}
	return j.Done * 100 / j.Total
}

// Func does the work; it reports progress and returns a Chinese summary and optional files (name → content).
type Func func(ctx context.Context, progress func(done, total int)) (summary string, files map[string][]byte, err error)

// Service starts and tracks jobs.
type Service struct {
	db  *db.DB
	log *slog.Logger
	wg  sync.WaitGroup
	ctx context.Context
}

// NewService returns a job runner; ctx bounds every job (cancelled at shutdown).
func NewService(ctx context.Context, d *db.DB, log *slog.Logger) *Service {
	return &Service{db: d, log: log, ctx: ctx}
}

// Recover marks jobs that were running when the process stopped as failed, so nobody waits on them forever. Rows an
// interrupted import had committed stay; importing the file again completes it (imports are idempotent).
func (s *Service) Recover(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET status = 'failed', message = ?, finished_at = ? WHERE status = 'running'`,
		"服务重启，任务中断。已处理的行已保存，请重新导入同一文件以完成（不会重复登记）。", time.Now().UTC())
	if err != nil {
		return fmt.Errorf("recover jobs: %w", err)
	}
	return nil
}

// Start records a job and runs fn in the background.
func (s *Service) Start(p *auth.Principal, kind, title string, fn Func) (int64, error) {
	id := s.db.IDs.Next()
	_, err := s.db.ExecContext(s.ctx, `INSERT INTO jobs (id, kind, title, status, done, total, message, result, user_id, created_at) VALUES (?, ?, ?, 'running', 0, 0, '', '', ?, ?)`,
		id, kind, title, p.UserID, time.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("start job: %w", err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var last time.Time
		progress := func(done, total int) {
			if time.Since(last) < 300*time.Millisecond && done < total {
				return
			}
			last = time.Now()
			if _, err := s.db.ExecContext(s.ctx, `UPDATE jobs SET done = ?, total = ? WHERE id = ?`, done, total, id); err != nil {
				s.log.Warn("job progress", "job", id, "err", err)
			}
		}
		summary, files, err := func() (sum string, f map[string][]byte, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return fn(s.ctx, progress)
		}()
		status, msg := "done", ""
		if err != nil {
			status, msg = "failed", apperr.MessageOf(err)
			if apperr.CodeOf(err) != apperr.Internal {
				msg = apperr.MessageOf(err)
			}
			s.log.Error("job failed", "job", id, "kind", kind, "err", err)
		}
		werr := s.db.InTx(s.ctx, func(tx *db.Tx) error {
			for name, content := range files {
				if _, err := tx.ExecContext(s.ctx, `INSERT INTO job_files (job_id, name, content) VALUES (?, ?, ?)`, id, name, content); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(s.ctx, `UPDATE jobs SET status = ?, message = ?, result = ?, finished_at = ? WHERE id = ?`, status, msg, summary, time.Now().UTC(), id)
			return err
		})
		if werr != nil {
			s.log.Error("job finish", "job", id, "err", werr)
		}
	}()
	return id, nil
}

// Wait blocks until every running job has finished (shutdown, tests).
func (s *Service) Wait() { s.wg.Wait() }

// Get returns a job the principal may see (its own; admins see all).
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Job, error) {
	var j Job
	var fin sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT id, kind, title, status, done, total, message, result, user_id, created_at, finished_at FROM jobs WHERE id = ?`, id).
		Scan(&j.ID, &j.Kind, &j.Title, &j.Status, &j.Done, &j.Total, &j.Message, &j.Result, &j.UserID, &j.CreatedAt, &fin)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && j.UserID != p.UserID && !p.Is(auth.CountyAdmin, auth.Sysadmin)) {
		return Job{}, apperr.New(apperr.NotFound, "任务不存在")
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job: %w", err)
	}
	if fin.Valid {
		t := fin.Time
		j.FinishedAt = &t
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM job_files WHERE job_id = ? ORDER BY name`, id)
	if err != nil {
		return j, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return j, err
		}
		j.Files = append(j.Files, n)
	}
	return j, rows.Err()
}

// File returns a result file of a job the principal may see.
func (s *Service) File(ctx context.Context, p *auth.Principal, id int64, name string) ([]byte, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	var b []byte
	err := s.db.QueryRowContext(ctx, `SELECT content FROM job_files WHERE job_id = ? AND name = ?`, id, name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "文件不存在")
	}
	return b, err
}
