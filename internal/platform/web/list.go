package web

import (
	"context"
	"net/http"
	"strconv"

	"nongfu/internal/apperr"
)

// List is the JSON envelope of every list endpoint.
type List[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// PageReq is a parsed page request.
type PageReq struct {
	Page    int
	PerPage int
}

// ParsePage reads page and per_page (default def, capped at max).
func ParsePage(r *http.Request, def, max int) PageReq {
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	pp, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if p < 1 {
		p = 1
	}
	if pp < 1 {
		pp = def
	}
	if pp > max {
		pp = max
	}
	return PageReq{Page: p, PerPage: pp}
}

// Offset is the SQL offset.
func (p PageReq) Offset() int { return (p.Page - 1) * p.PerPage }

// Bounds returns the slice bounds of this page in a list of n items.
func (p PageReq) Bounds(n int) (int, int) {
	from := p.Offset()
	if from > n {
		from = n
	}
	to := from + p.PerPage
	if to > n {
		to = n
	}
	return from, to
}

// Pages is the number of pages for total items.
func (p PageReq) Pages(total int) int {
	if total == 0 {
		return 1
	}
	return (total + p.PerPage - 1) / p.PerPage
}

type serverKey struct{}

func withServer(ctx context.Context, s *Server) context.Context {
	return context.WithValue(ctx, serverKey{}, s)
}

// Render renders a page with the server that is handling r.
func Render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	s, _ := r.Context().Value(serverKey{}).(*Server)
	return s.Pages.Render(w, r, status, page, data)
}

// PathID reads a positive record id from the route pattern; anything else is "not found", like a missing record.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "记录不存在")
	}
	return id, nil
}

// Deref copies a room's []*T into the []T a JSON list carries (never nil, so an empty list encodes as []).
func Deref[T any](items []*T) []T {
	out := make([]T, len(items))
	for i, x := range items {
		out[i] = *x
	}
	return out
}

// ListOf is the list envelope of one page of a room's items.
func ListOf[T any](items []*T, total int, pg PageReq) List[T] {
	return List[T]{Items: Deref(items), Total: total, Page: pg.Page, PerPage: pg.PerPage}
}
