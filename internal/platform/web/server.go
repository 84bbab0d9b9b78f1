// Package web is the HTTP platform every room plugs into: one ServeMux with method patterns, middleware
// (recovery, logging, security headers, cross-origin protection, authentication), JSON and error helpers that map
// apperr codes to statuses in one table, the page renderer with the shared layout and menu, the OpenAPI registry,
// and the embedded static assets.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

//go:embed static
var staticFS embed.FS

// SessionCookie is the browser session cookie's name.
const SessionCookie = "nongfu_session"

// Server routes requests to the rooms.
type Server struct {
	mux      *http.ServeMux
	Auth     *auth.Service
	Log      *slog.Logger
	Pages    *Renderer
	API      *OpenAPI
	menu     []MenuItem
	metrics  *Metrics
	Health   func(ctx context.Context) error
	Secure   bool // set the Secure flag on cookies (behind HTTPS)
	demo     bool
	stats    homeStats
	inflight atomic.Int64
}

// MenuItem is one entry of the side menu; rooms add theirs.
type MenuItem struct {
	Group string // menu group heading
	Label string
	Path  string
	Order int
	Roles []auth.Role // empty: every logged-in role
}

// NewServer makes a server; rooms then register routes, pages and menu items.
func NewServer(a *auth.Service, log *slog.Logger) *Server {
	s := &Server{mux: http.NewServeMux(), Auth: a, Log: log, API: NewOpenAPI(), metrics: NewMetrics()}
	s.Pages = NewRenderer(s)
	sub, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheForever(http.FileServerFS(sub))))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /metrics", s.metrics.ServeHTTP)
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.API.Document())
	})
	return s
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.Health(ctx); err != nil {
			http.Error(w, "unhealthy: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// AddMenu adds side-menu items.
//
// Items of one group stay together whatever their Order numbers: groups are ordered by their smallest Order, items
// within a group by Order. Rooms choose their numbers independently, so a collision must not split a group.
func (s *Server) AddMenu(items ...MenuItem) {
	s.menu = append(s.menu, items...)
	first := map[string]int{}
	for _, m := range s.menu {
		if o, ok := first[m.Group]; !ok || m.Order < o {
			first[m.Group] = m.Order
		}
	}
	sort.SliceStable(s.menu, func(i, j int) bool {
		a, b := s.menu[i], s.menu[j]
		if a.Group != b.Group {
			if first[a.Group] != first[b.Group] {
				return first[a.Group] < first[b.Group]
			}
			return a.Group < b.Group
		}
		return a.Order < b.Order
	})
}

// Menu returns the items visible to p.
func (s *Server) Menu(p *auth.Principal) []MenuItem {
	var out []MenuItem
	for _, m := range s.menu {
		if len(m.Roles) == 0 || p.Is(m.Roles...) {
			out = append(out, m)
		}
	}
	return out
}

// HandlerFunc is a handler that returns an error; the server turns errors into responses.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Public registers a handler that needs no login.
func (s *Server) Public(pattern string, h HandlerFunc) {
	s.mux.Handle(pattern, s.wrap(h))
}

// Page registers a UI handler that needs a logged-in user; anonymous visitors are sent to the login page.
func (s *Server) Page(pattern string, h HandlerFunc) {
	s.mux.Handle(pattern, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if auth.From(r.Context()) == nil {
			if r.Header.Get("HX-Request") == "true" {
				w.Header().Set("HX-Redirect", "/login")
				return nil
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		return h(w, r)
	}))
}

// Handle registers an API operation: the route and its OpenAPI entry in one call, so the document cannot drift.
func (s *Server) Handle(op Op, h HandlerFunc) {
	s.API.Add(op)
	pattern := op.Method + " " + op.Path
	s.mux.Handle(pattern, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if !op.Public && auth.From(r.Context()) == nil {
			return apperr.New(apperr.Unauthorized, "请先登录或提供有效的访问令牌")
		}
		return h(w, r)
	}))
}

// ServeHTTP runs the middleware chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler().ServeHTTP(w, r)
}

// Handler returns the full middleware chain around the mux.
func (s *Server) handler() http.Handler {
	var h http.Handler = s.mux
	h = s.authenticate(h)
	cop := http.NewCrossOriginProtection()
	h = cop.Handler(h)
	h = s.logAndRecover(h)
	return h
}

// Handler is the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.handler() }

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			token = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
		} else if c, err := r.Cookie(SessionCookie); err == nil {
			token = c.Value
		}
		if token != "" && !strings.HasPrefix(r.URL.Path, "/static/") {
			p, err := s.Auth.Authenticate(r.Context(), token)
			if err == nil {
				r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			} else if apperr.CodeOf(err) == apperr.Internal {
				s.Log.Error("authenticate", "err", err)
			}
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logAndRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'")
		s.inflight.Add(1)
		defer func() {
			s.inflight.Add(-1)
			if p := recover(); p != nil {
				s.Log.Error("panic", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			d := time.Since(start)
			s.metrics.Observe(r.Method, routeOf(r), sw.status, d)
			if r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, "/static/") {
				s.Log.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", d.Milliseconds(), "bytes", sw.bytes)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(withServer(r.Context(), s)))
	})
}

func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return "other"
}

func (s *Server) wrap(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// Status maps an application error code to an HTTP status: the one table.
func Status(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.TooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON error envelope.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries the code, the Chinese message and per-field messages.
type ErrorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// IsAPI reports whether r is an API request (JSON answers).
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := apperr.CodeOf(err)
	status := Status(code)
	if status >= 500 {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if IsAPI(r) {
		WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: string(code), Message: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)}})
		return
	}
	if code == apperr.Unauthorized {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.Pages.ErrorPage(w, r, status, apperr.MessageOf(err))
}

// WriteError writes err as a response (for handlers that need to write an error before returning).
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// WriteJSON writes v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// DecodeJSON reads a JSON body into v; unknown fields are refused so typos do not pass silently.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apperr.New(apperr.Invalid, "请求体必须是 JSON（Content-Type: application/json）")
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return &apperr.Error{Code: apperr.Invalid, Message: "字段类型不正确：" + te.Field, Fields: map[string]string{te.Field: "类型不正确"}}
		case errors.As(err, &se):
			return apperr.New(apperr.Invalid, "JSON 格式错误")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &apperr.Error{Code: apperr.Invalid, Message: "未知字段：" + f, Fields: map[string]string{f: "未知字段"}}
		}
		return apperr.New(apperr.Invalid, "无法读取请求体："+err.Error())
	}
	return nil
}

// ClientKey identifies the client for throttling.
func ClientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Principal returns the caller (nil when anonymous).
func Principal(r *http.Request) *auth.Principal { return auth.From(r.Context()) }

// Inflight is the number of requests being served (graceful shutdown reports it).
func (s *Server) Inflight() int64 { return s.inflight.Load() }
