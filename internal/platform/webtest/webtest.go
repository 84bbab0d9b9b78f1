// Package webtest is the HTTP test harness the rooms share: a web server with the rooms' routes, served on a local
// port until the test ends, and clients that log in through the API and call it with a bearer token.
// It is for tests only.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

// Password is the password User gives every user it creates.
const Password = "demo-pass-123"

// NewServer makes a web server over d with a silent logger and the account routes (no demo), then lets each of
// routes register a room's routes on it.
func NewServer(d *db.DB, routes ...func(*web.Server)) (*web.Server, *auth.Service) {
	as := auth.NewService(d)
	srv := web.NewServer(as, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv.AccountRoutes(false)
	for _, r := range routes {
		r(srv)
	}
	return srv, as
}

// Serve serves srv on a local port until the test ends and returns its base URL.
func Serve(t testing.TB, srv *web.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// Site is a served server with its auth service.
type Site struct {
	T      testing.TB
	Server *web.Server
	Auth   *auth.Service
	URL    string
}

// Start builds a server with NewServer and serves it with Serve.
func Start(t testing.TB, d *db.DB, routes ...func(*web.Server)) *Site {
	t.Helper()
	srv, as := NewServer(d, routes...)
	return &Site{T: t, Server: srv, Auth: as, URL: Serve(t, srv)}
}

// User creates u with Password and returns a client logged in as u.
func (s *Site) User(u auth.NewUser) *Client {
	s.T.Helper()
	u.Password = Password
	if _, err := s.Auth.CreateUser(context.Background(), nil, u); err != nil {
		s.T.Fatal(err)
	}
	return Login(s.T, s.URL, u.Username, u.Password)
}

// Anonymous returns a client without a token.
func (s *Site) Anonymous() *Client { return &Client{T: s.T, URL: s.URL} }

// Client calls a served site; a non-empty Token is sent as a bearer token.
type Client struct {
	T     testing.TB
	URL   string
	Token string
}

// Login logs username in through POST /api/v1/auth/login and returns a client with the token; the test fails
// unless the login succeeds.
func Login(t testing.TB, baseURL, username, password string) *Client {
	t.Helper()
	c := &Client{T: t, URL: baseURL}
	st, body := c.JSON("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if st != 200 {
		t.Fatalf("login %s: %d %v", username, st, body)
	}
	c.Token = body["token"].(string)
	return c
}

func (c *Client) send(cl *http.Client, method, path, contentType string, body io.Reader) *http.Response {
	c.T.Helper()
	req, err := http.NewRequest(method, c.URL+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := cl.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	return res
}

// Raw sends body with the content type (none if empty), follows redirects, and returns the status and the body.
func (c *Client) Raw(method, path, contentType string, body io.Reader) (int, []byte) {
	c.T.Helper()
	res := c.send(http.DefaultClient, method, path, contentType, body)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

// JSON sends body (if not nil) as JSON and returns the status and the answer decoded as an object (nil if it
// is not one).
func (c *Client) JSON(method, path string, body any) (int, map[string]any) {
	c.T.Helper()
	var out map[string]any
	st, raw := c.jsonRaw(method, path, body)
	_ = json.Unmarshal(raw, &out)
	return st, out
}

// Call sends body (if not nil) as JSON and decodes the answer into out (if not nil); the test fails if a
// successful answer does not decode. It returns the status.
func (c *Client) Call(method, path string, body, out any) int {
	c.T.Helper()
	st, raw := c.jsonRaw(method, path, body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil && st < 300 {
			c.T.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return st
}

func (c *Client) jsonRaw(method, path string, body any) (int, []byte) {
	c.T.Helper()
	var rd io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		rd, ct = bytes.NewReader(b), "application/json"
	}
	return c.Raw(method, path, ct, rd)
}

// Page gets an HTML page, following redirects, and returns the status and the body.
func (c *Client) Page(path string) (int, string) {
	c.T.Helper()
	st, raw := c.Raw("GET", path, "", nil)
	return st, string(raw)
}

// Form sends form (if not nil) url-encoded without following redirects. It returns the status and the body, or for
// 303 See Other the Location.
func (c *Client) Form(method, path string, form url.Values) (int, string) {
	c.T.Helper()
	var rd io.Reader
	ct := ""
	if form != nil {
		rd, ct = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res := c.send(cl, method, path, ct, rd)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusSeeOther {
		return res.StatusCode, res.Header.Get("Location")
	}
	return res.StatusCode, string(raw)
}
