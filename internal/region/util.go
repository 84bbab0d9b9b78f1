package region

import (
	"context"
	"html"
	"net/http"

	"nongfu/internal/platform/web"
)

type contextT = context.Context

func htmlEscape(s string) string { return html.EscapeString(s) }

func srvRender(w http.ResponseWriter, r *http.Request, page string, data any) error {
	return web.Render(w, r, http.StatusOK, page, data)
}
