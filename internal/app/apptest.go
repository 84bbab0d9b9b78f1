package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"nongfu/internal/demo"
	"nongfu/internal/platform/db"
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
	var out struct {
		Token string `json:"token"`
	}
	st := s.Call("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &out)
	if st != 200 || out.Token == "" {
		s.t.Fatalf("login %s: status %d", user, st)
	}
	return out.Token
}

// Call makes a JSON API call and decodes the answer into out (may be nil); it returns the status.
func (s *TestServer) Call(token, method, path string, body any, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %q: %v", method, path, string(b), err)
		}
	}
	return resp.StatusCode
}
