package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"nongfu/internal/platform/auth"
)

//go:embed templates
var layoutFS embed.FS

// Shanghai is the time zone every date is shown in.
var Shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// Renderer renders pages inside the shared layout. Each room adds its templates under a namespace; a page is
// named "room/file.html" and defines the blocks "title" and "content" (and optionally "results" for htmx).
type Renderer struct {
	srv   *Server
	mu    sync.Mutex
	pages map[string]*template.Template
	base  *template.Template
}

// NewRenderer parses the layout.
func NewRenderer(s *Server) *Renderer {
	base := template.Must(template.New("").Funcs(Funcs()).ParseFS(layoutFS, "templates/*.html"))
	return &Renderer{srv: s, pages: map[string]*template.Template{}, base: base}
}

// AddFS parses every *.html in fsys (including sub-directories named in globs) as pages of namespace room.
func (rd *Renderer) AddFS(room string, fsys fs.FS, globs ...string) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if len(globs) == 0 {
		globs = []string{"*.html"}
	}
	var partials []string
	var pages []string
	for _, g := range globs {
		names, err := fs.Glob(fsys, g)
		if err != nil {
			panic(err)
		}
		for _, n := range names {
			base := n[strings.LastIndex(n, "/")+1:]
			if strings.HasPrefix(base, "_") {
				partials = append(partials, n)
			} else {
				pages = append(pages, n)
			}
		}
	}
	for _, n := range pages {
		t := template.Must(rd.base.Clone())
		if len(partials) > 0 {
			template.Must(t.ParseFS(fsys, partials...))
		}
		template.Must(t.ParseFS(fsys, n))
		rd.pages[room+"/"+n[strings.LastIndex(n, "/")+1:]] = t
	}
}

// View is what the layout receives.
type View struct {
	Title  string
	User   *auth.Principal
	Menu   []MenuItem
	Path   string
	Flash  string
	Query  url.Values
	Data   any
	Status int
}

// Render writes a full page (or only the "results" block for htmx requests that target #results).
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	rd.mu.Lock()
	t, ok := rd.pages[page]
	rd.mu.Unlock()
	if !ok {
		return fmt.Errorf("render: no page %q", page)
	}
	p := auth.From(r.Context())
	v := View{User: p, Path: r.URL.Path, Query: r.URL.Query(), Data: data, Status: status}
	if p != nil {
		v.Menu = rd.srv.Menu(p)
	}
	if c, err := r.Cookie("nongfu_flash"); err == nil {
		if f, err := url.QueryUnescape(c.Value); err == nil {
			v.Flash = f
		}
		http.SetCookie(w, &http.Cookie{Name: "nongfu_flash", Path: "/", MaxAge: -1})
	}
	name := "layout"
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "results" && t.Lookup("results") != nil {
		name = "results"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// ErrorPage renders a friendly error page.
func (rd *Renderer) ErrorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := View{User: auth.From(r.Context()), Path: r.URL.Path, Data: map[string]any{"Status": status, "Message": msg}, Status: status}
	if v.User != nil {
		v.Menu = rd.srv.Menu(v.User)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	t := template.Must(rd.base.Clone())
	template.Must(t.New("content").Parse(`<div class="card empty"><h2>{{if eq .Data.Status 404}}找不到页面或记录{{else if eq .Data.Status 403}}没有权限{{else}}出错了{{end}}</h2><p>{{.Data.Message}}</p><p><a class="btn" href="/">返回首页</a></p></div>`))
	template.Must(t.New("title").Parse(`出错了`))
	_ = t.ExecuteTemplate(w, "layout", v)
}

// Flash sets a one-time message shown on the next page.
func Flash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: "nongfu_flash", Value: url.QueryEscape(msg), Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// Redirect answers a form post: an htmx request gets HX-Redirect, others a 303.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// Funcs are the template helpers of the design system.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"num":      FormatInt,
		"yuan":     FormatFen,
		"money":    FormatYuanExact,
		"mu":       FormatMu,
		"date":     FormatDate,
		"datetime": FormatDateTime,
		"pct":      func(a, b int) string { return FormatPercent(a, b) },
		"add":      func(a, b int) int { return a + b },
		"sub":      func(a, b int) int { return a - b },
		"seq": func(from, to int) []int {
			var out []int
			for i := from; i <= to; i++ {
				out = append(out, i)
			}
			return out
		},
		"qs": func(q url.Values, kv ...any) template.URL {
			c := url.Values{}
			for k, v := range q {
				c[k] = append([]string(nil), v...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				k := fmt.Sprint(kv[i])
				v := fmt.Sprint(kv[i+1])
				if v == "" {
					c.Del(k)
				} else {
					c.Set(k, v)
				}
			}
			return template.URL("?" + c.Encode())
		},
		"contains": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"join":      strings.Join,
		"split":     strings.Fields,
		"roleLabel": func(r auth.Role) string { return r.Label() },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"str": func(v any) string { return fmt.Sprint(v) },
	}
}

// FormatInt writes 1,234,567.
func FormatInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	default:
		return fmt.Sprint(v)
	}
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatFen shows money held in 分 as 元, 万元 or 亿元.
func FormatFen(fen int64) string {
	yuan := float64(fen) / 100
	switch a := math.Abs(yuan); {
	case a >= 1e8:
		return strconv.FormatFloat(yuan/1e8, 'f', 2, 64) + "亿元"
	case a >= 1e4:
		return strconv.FormatFloat(yuan/1e4, 'f', 2, 64) + "万元"
	}
	return strconv.FormatFloat(yuan, 'f', 2, 64) + "元"
}

// FormatYuanExact shows 分 as exact 元 with separators, 19,512.34 — for schedules, vouchers and statements where
// every 分 counts (FormatFen rounds to 万元 for overviews).
func FormatYuanExact(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	s := FormatInt(fen/100) + fmt.Sprintf(".%02d", fen%100)
	if neg {
		return "-" + s
	}
	return s
}

// FormatMu shows an area held in 0.01 亩.
func FormatMu(centiMu int64) string {
	mu := float64(centiMu) / 100
	if math.Abs(mu) >= 1e4 {
		return strconv.FormatFloat(mu/1e4, 'f', 2, 64) + "万亩"
	}
	return strconv.FormatFloat(mu, 'f', 2, 64) + "亩"
}

// FormatPercent shows a/b as 12.3%.
func FormatPercent(a, b int) string {
	if b == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(a)*100/float64(b), 'f', 1, 64) + "%"
}

// FormatDate shows 2024-08-01 in Shanghai time.
func FormatDate(t any) string {
	switch x := t.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.In(Shanghai).Format("2006-01-02")
	case *time.Time:
		if x == nil || x.IsZero() {
			return ""
		}
		return x.In(Shanghai).Format("2006-01-02")
	case string:
		return x
	}
	return fmt.Sprint(t)
}

// FormatDateTime shows 2024-08-01 09:30 in Shanghai time.
func FormatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Shanghai).Format("2006-01-02 15:04")
}
