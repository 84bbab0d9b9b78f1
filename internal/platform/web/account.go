package web

import (
	"context"
	"embed"
	"net/http"
	"strings"
	"sync"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

//go:embed pages/*.html
var pagesFS embed.FS

// Stat is one live count on the home page; rooms contribute them.
type Stat struct {
	Label string
	Value string
	Hint  string
	Link  string
	Order int
}

// StatFunc returns a room's home-page counts for p (already scoped to what p may see).
type StatFunc func(ctx context.Context, p *auth.Principal) ([]Stat, error)

type homeStats struct {
	mu    sync.Mutex
	funcs []StatFunc
}

// AccountRoutes registers login, logout, password change, the home page and the auth API.
func (s *Server) AccountRoutes(demo bool) {
	s.Pages.AddFS("platform", pagesFS, "pages/*.html")
	s.demo = demo
	s.Public("GET /{$}", s.home)
	s.Public("GET /login", s.loginPage)
	s.Public("POST /login", s.loginPost)
	s.Public("POST /logout", s.logoutPost)
	s.Page("GET /account", s.accountPage)
	s.Page("POST /account", s.accountPost)

	type loginReq struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	type loginResp struct {
		Token     string `json:"token"`
		TokenType string `json:"token_type"`
		ExpiresIn int    `json:"expires_in"`
		User      meResp `json:"user"`
	}
	s.Handle(Op{Method: "POST", Path: "/api/v1/auth/login", Summary: "登录，取得访问令牌", Tag: "auth", Public: true, Request: loginReq{}, Response: loginResp{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in loginReq
			if err := DecodeJSON(r, &in); err != nil {
				return err
			}
			if in.Username == "" || in.Password == "" {
				return apperr.FieldErrors(map[string]string{"username": "请输入用户名和密码"})
			}
			tok, p, err := s.Auth.Login(r.Context(), in.Username, in.Password, ClientKey(r), auth.KindAPILogin)
			if err != nil {
				return err
			}
			WriteJSON(w, http.StatusOK, loginResp{Token: tok, TokenType: "Bearer", ExpiresIn: int(auth.APILoginTTL.Seconds()), User: me(p)})
			return nil
		})
	s.Handle(Op{Method: "POST", Path: "/api/v1/auth/logout", Summary: "注销当前令牌", Tag: "auth"},
		func(w http.ResponseWriter, r *http.Request) error {
			if err := s.Auth.Logout(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
	s.Handle(Op{Method: "GET", Path: "/api/v1/me", Summary: "当前用户、角色与管辖范围", Tag: "auth", Response: meResp{}},
		func(w http.ResponseWriter, r *http.Request) error {
			WriteJSON(w, http.StatusOK, me(Principal(r)))
			return nil
		})
	type pwReq struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	s.Handle(Op{Method: "POST", Path: "/api/v1/me/password", Summary: "修改本人密码", Tag: "auth", Request: pwReq{}},
		func(w http.ResponseWriter, r *http.Request) error {
			var in pwReq
			if err := DecodeJSON(r, &in); err != nil {
				return err
			}
			if err := s.Auth.ChangePassword(r.Context(), Principal(r), in.OldPassword, in.NewPassword); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
}

type meResp struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	RoleLabel   string   `json:"role_label"`
	Scopes      []string `json:"scopes"`
	SubjectID   int64    `json:"subject_id,omitempty"`
}

func me(p *auth.Principal) meResp {
	return meResp{ID: p.UserID, Username: p.Username, DisplayName: p.DisplayName, Role: string(p.Role), RoleLabel: p.Role.Label(), Scopes: p.Scopes, SubjectID: p.SubjectID}
}

// AddStats registers a room's home-page counts.
func (s *Server) AddStats(f StatFunc) {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.funcs = append(s.stats.funcs, f)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := Principal(r)
	if p == nil {
		return s.renderLogin(w, r, http.StatusOK, "", "")
	}
	s.stats.mu.Lock()
	funcs := append([]StatFunc(nil), s.stats.funcs...)
	s.stats.mu.Unlock()
	var stats []Stat
	for _, f := range funcs {
		st, err := f(r.Context(), p)
		if err != nil {
			return err
		}
		stats = append(stats, st...)
	}
	sortStats(stats)
	return s.Pages.Render(w, r, http.StatusOK, "platform/home.html", map[string]any{"Stats": stats})
}

func sortStats(st []Stat) {
	for i := 1; i < len(st); i++ {
		for j := i; j > 0 && st[j].Order < st[j-1].Order; j-- {
			st[j], st[j-1] = st[j-1], st[j]
		}
	}
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg, username string) error {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	return s.Pages.Render(w, r, status, "platform/login.html", map[string]any{
		"Error": msg, "Username": username, "Next": next, "Demo": s.demo, "Roles": auth.Roles,
	})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if Principal(r) != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.renderLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	user := strings.TrimSpace(r.PostForm.Get("username"))
	tok, _, err := s.Auth.Login(r.Context(), user, r.PostForm.Get("password"), ClientKey(r), auth.KindSession)
	if err != nil {
		if apperr.CodeOf(err) == apperr.Internal {
			return err
		}
		return s.renderLogin(w, r, Status(apperr.CodeOf(err)), apperr.MessageOf(err), user)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(auth.SessionTTL.Seconds())})
	next := r.PostForm.Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logoutPost(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil {
		_ = s.Auth.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.Pages.Render(w, r, http.StatusOK, "platform/account.html", map[string]any{"Fields": map[string]string{}})
}

func (s *Server) accountPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	p := Principal(r)
	var err error
	if r.PostForm.Get("new_password") != r.PostForm.Get("confirm") {
		err = &apperr.Error{Code: apperr.Invalid, Message: "两次输入的新密码不一致", Fields: map[string]string{"confirm": "两次输入的新密码不一致"}}
	} else {
		err = s.Auth.ChangePassword(r.Context(), p, r.PostForm.Get("old_password"), r.PostForm.Get("new_password"))
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.Invalid {
			return err
		}
		return s.Pages.Render(w, r, http.StatusUnprocessableEntity, "platform/account.html", map[string]any{"Fields": apperr.FieldsOf(err), "Error": apperr.MessageOf(err)})
	}
	Flash(w, "密码已修改，请重新登录")
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
