package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/webtest"
)

// TestServer is a running application with demo data, for end-to-end tests of every room.
type TestServer struct {
	*App
	URL  string
	Demo demo.Result
	t    testing.TB
}

// StartTest loads a small demo into d and serves it on a local port until the test ends.
func StartTest(t testing.TB, d *db.DB, households int) *TestServer {
	t.Helper()
	ctx := context.Background()
	a, err := New(ctx, d, Config{KeyFile: filepath.Join(t.TempDir(), "test.key"), Demo: true, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	res, err := demo.Load(ctx, a.DB, a.Regions, a.Registry, a.Auth, demo.Options{Households: households, Seed: 1})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if err := a.AfterDemo(ctx, res); err != nil {
		t.Fatalf("demo rooms: %v", err)
	}
	if _, err := a.DB.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('demo', '1')`); err != nil {
		t.Fatal(err)
	}
	srv := a.BuildServer(true)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		a.Jobs.Wait()
	})
	return &TestServer{App: a, URL: hs.URL, Demo: res, t: t}
}

// Token logs in a user through the API.
func (s *TestServer) Token(user, password string) string {
	s.t.Helper()
	return webtest.Login(s.t, s.URL, user, password).Token
}

// Call makes a JSON API call and decodes the answer into out (may be nil); it returns the status.
func (s *TestServer) Call(token, method, path string, body any, out any) int {
	s.t.Helper()
	c := &webtest.Client{T: s.t, URL: s.URL, Token: token}
	return c.Call(method, path, body, out)
}
