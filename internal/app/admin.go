package app

import (
	"embed"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

var adminRoles = []auth.Role{auth.CountyAdmin, auth.Sysadmin}

func requireAdmin(p *auth.Principal) error {
	if !p.Is(adminRoles...) {
		return apperr.New(apperr.Forbidden, "仅县级管理员和系统管理员可用")
	}
	return nil
}

// AdminRoutes serves the audit trail and user administration.
func AdminRoutes(srv *web.Server, a *App) {
	srv.Pages.AddFS("app", templatesFS, "templates/*.html")
	srv.AddMenu(
		web.MenuItem{Group: "系统", Label: "用户与权限", Path: "/users", Order: 100, Roles: adminRoles},
		web.MenuItem{Group: "系统", Label: "操作审计", Path: "/audit", Order: 101, Roles: adminRoles},
	)
	auditFilter := func(r *http.Request) audit.Filter {
		q := r.URL.Query()
		eid, _ := strconv.ParseInt(q.Get("entity_id"), 10, 64)
		pg := web.ParsePage(r, 30, 500)
		return audit.Filter{Entity: q.Get("entity"), EntityID: eid, Action: q.Get("action"), Page: pg.Page, PerPage: pg.PerPage}
	}
	srv.Page("GET /audit", func(w http.ResponseWriter, r *http.Request) error {
		if err := requireAdmin(web.Principal(r)); err != nil {
			return err
		}
		f := auditFilter(r)
		recs, total, err := audit.List(r.Context(), a.DB, f)
		if err != nil {
			return err
		}
		pages := (total + f.PerPage - 1) / f.PerPage
		rows := make([]auditRow, len(recs))
		for i, rec := range recs {
			rows[i] = auditRow{Record: rec, Changes: diff(rec.Before, rec.After)}
		}
		return web.Render(w, r, http.StatusOK, "app/audit.html", map[string]any{"Items": rows, "Total": total, "Page": f.Page, "Pages": pages, "F": f})
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/audit", Summary: "操作审计记录（按对象筛选）", Tag: "admin", Query: []string{"entity", "entity_id", "action", "page", "per_page"}, Response: web.List[audit.Record]{}, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := requireAdmin(web.Principal(r)); err != nil {
				return err
			}
			f := auditFilter(r)
			recs, total, err := audit.List(r.Context(), a.DB, f)
			if err != nil {
				return err
			}
			if recs == nil {
				recs = []audit.Record{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[audit.Record]{Items: recs, Total: total, Page: f.Page, PerPage: f.PerPage})
			return nil
		})
	srv.Page("GET /users", func(w http.ResponseWriter, r *http.Request) error {
		if err := requireAdmin(web.Principal(r)); err != nil {
			return err
		}
		return renderUsers(w, r, a, http.StatusOK, nil, "")
	})
	srv.Page("POST /users", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if err := requireAdmin(p); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return apperr.New(apperr.Invalid, "表单无法读取")
		}
		f := r.PostForm
		sid, _ := strconv.ParseInt(f.Get("subject_id"), 10, 64)
		scopes := strings.FieldsFunc(f.Get("scopes"), func(c rune) bool { return c == ',' || c == ' ' || c == '，' })
		_, err := a.Auth.CreateUser(r.Context(), p, auth.NewUser{Username: f.Get("username"), DisplayName: f.Get("display_name"), Role: auth.Role(f.Get("role")), Scopes: scopes, SubjectID: sid, Password: f.Get("password")})
		if err != nil {
			if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
				return renderUsers(w, r, a, web.Status(c), apperr.FieldsOf(err), apperr.MessageOf(err))
			}
			return err
		}
		web.Flash(w, "已创建用户 "+f.Get("username"))
		web.Redirect(w, r, "/users")
		return nil
	})
	srv.Page("POST /users/{id}/active", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if err := requireAdmin(p); err != nil {
			return err
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err := r.ParseForm(); err != nil {
			return err
		}
		if err := a.Auth.SetActive(r.Context(), p, id, r.PostForm.Get("active") == "1"); err != nil {
			return err
		}
		web.Flash(w, "已更新用户状态")
		web.Redirect(w, r, "/users")
		return nil
	})
	srv.Page("POST /users/{id}/tokens", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if err := requireAdmin(p); err != nil {
			return err
		}
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		u, err := a.Auth.GetUser(r.Context(), id)
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return err
		}
		tok, err := a.Auth.CreateAPIToken(r.Context(), p, id, r.PostForm.Get("name"))
		if err != nil {
			if apperr.CodeOf(err) == apperr.Invalid {
				return renderUsers(w, r, a, http.StatusUnprocessableEntity, nil, "请填写令牌名称（如 农商行信贷系统）")
			}
			return err
		}
		// the token is shown once, here; only its hash is stored
		return web.Render(w, r, http.StatusOK, "app/token.html", map[string]any{"User": u, "Token": tok, "Name": r.PostForm.Get("name")})
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/users", Summary: "用户列表", Tag: "admin", Response: web.List[auth.User]{}, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := requireAdmin(web.Principal(r)); err != nil {
				return err
			}
			us, err := a.Auth.ListUsers(r.Context())
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[auth.User]{Items: us, Total: len(us), Page: 1, PerPage: len(us)})
			return nil
		})
	type userReq struct {
		Username    string   `json:"username"`
		DisplayName string   `json:"display_name"`
		Role        string   `json:"role"`
		Scopes      []string `json:"scopes"`
		SubjectID   int64    `json:"subject_id"`
		Password    string   `json:"password"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/users", Summary: "新建用户", Tag: "admin", Request: userReq{}, Response: auth.User{}, Status: 201, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			p := web.Principal(r)
			if err := requireAdmin(p); err != nil {
				return err
			}
			var in userReq
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			u, err := a.Auth.CreateUser(r.Context(), p, auth.NewUser{Username: in.Username, DisplayName: in.DisplayName, Role: auth.Role(in.Role), Scopes: in.Scopes, SubjectID: in.SubjectID, Password: in.Password})
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, u)
			return nil
		})
	type tokenReq struct {
		Name string `json:"name"`
	}
	type tokenResp struct {
		Token string `json:"token"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/users/{id}/tokens", Summary: "为机器客户端（银行、其他政务系统）签发长期访问令牌", Tag: "admin", Request: tokenReq{}, Response: tokenResp{}, Status: 201, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			p := web.Principal(r)
			if err := requireAdmin(p); err != nil {
				return err
			}
			id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if _, err := a.Auth.GetUser(r.Context(), id); err != nil {
				return err
			}
			var in tokenReq
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			tok, err := a.Auth.CreateAPIToken(r.Context(), p, id, in.Name)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, tokenResp{Token: tok})
			return nil
		})
}

func renderUsers(w http.ResponseWriter, r *http.Request, a *App, status int, fields map[string]string, msg string) error {
	us, err := a.Auth.ListUsers(r.Context())
	if err != nil {
		return err
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return web.Render(w, r, status, "app/users.html", map[string]any{"Users": us, "Roles": auth.Roles, "Fields": fields, "Error": msg, "Form": r.PostForm})
}

type auditRow struct {
	audit.Record
	Changes []change
}

type change struct{ Field, Before, After string }

// diff lists the fields that differ between two JSON objects, so a reader sees what changed, not two blobs.
func diff(before, after string) []change {
	var b, a map[string]any
	_ = json.Unmarshal([]byte(before), &b)
	_ = json.Unmarshal([]byte(after), &a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		bv, av := show(b[k]), show(a[k])
		if bv != av {
			out = append(out, change{Field: k, Before: bv, After: av})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = show(e)
		}
		return strings.Join(parts, "、")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
