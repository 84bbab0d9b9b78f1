// Package auth knows who is asking: users with one role and a region scope, password login (argon2id), browser
// sessions and API tokens stored as hashes, and login throttling. Rooms decide what each role may do through
// the Principal's helpers, in their domain layer.
package auth

import (
	"context"
	"strings"

	"nongfu/internal/platform/audit"
)

// Role is a user's role (DESIGN.md §1).
type Role string

const (
	CountyAdmin      Role = "county_admin"      // 县农合联秘书处 / 县供销合作社
	TownshipOperator Role = "township_operator" // 乡镇农合联 / 乡镇为农服务中心
	Provider         Role = "provider"          // 服务主体
	Member           Role = "member"            // 会员 / 经营主体 / 农户
	Bank             Role = "bank"              // 金融机构
	Department       Role = "department"        // 县政府部门
	Taskforce        Role = "taskforce"         // 工作专班
	Sysadmin         Role = "sysadmin"          // 系统管理员
	Viewer           Role = "viewer"            // 只读
)

// Roles lists every role in display order.
var Roles = []Role{CountyAdmin, TownshipOperator, Provider, Member, Bank, Department, Taskforce, Sysadmin, Viewer}

// Label is the role's Chinese name.
func (r Role) Label() string {
	switch r {
	case CountyAdmin:
		return "县级管理员"
	case TownshipOperator:
		return "乡镇操作员"
	case Provider:
		return "服务主体"
	case Member:
		return "会员/经营主体"
	case Bank:
		return "金融机构"
	case Department:
		return "县级部门"
	case Taskforce:
		return "工作专班"
	case Sysadmin:
		return "系统管理员"
	case Viewer:
		return "只读用户"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Principal is the authenticated caller.
type Principal struct {
	UserID      int64
	Username    string
	DisplayName string
	Role        Role
	Scopes      []string // 12-digit region codes; a township operator may hold several townships (片区)
	SubjectID   int64    // the user's own subject for member, provider and bank users
	ViaToken    bool     // authenticated by an API token rather than a browser session
}

// Actor is the principal as the audit trail records it.
func (p *Principal) Actor() audit.Actor {
	if p == nil {
		return audit.System
	}
	return audit.Actor{ID: p.UserID, Name: p.Username}
}

// RegionPrefix is the significant prefix of a 12-digit region code: 2 digits for a province, 4 for a city, 6 for
// a county, 9 for a township, 12 for a village. A code's descendants all start with its prefix.
func RegionPrefix(code string) string {
	switch {
	case len(code) != 12:
		return code
	case code[2:] == "0000000000":
		return code[:2]
	case code[4:] == "00000000":
		return code[:4]
	case code[6:] == "000000":
		return code[:6]
	case code[9:] == "000":
		return code[:9]
	}
	return code
}

// InRegion reports whether code lies inside one of the principal's scopes.
func (p *Principal) InRegion(code string) bool {
	for _, s := range p.Scopes {
		if strings.HasPrefix(code, RegionPrefix(s)) {
			return true
		}
	}
	return false
}

// ScopePrefixes returns the LIKE-able prefixes of the principal's scopes.
func (p *Principal) ScopePrefixes() []string {
	out := make([]string, 0, len(p.Scopes))
	for _, s := range p.Scopes {
		out = append(out, RegionPrefix(s))
	}
	return out
}

// Is reports whether the principal has one of the roles.
func (p *Principal) Is(roles ...Role) bool {
	if p == nil {
		return false
	}
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

// ScopeLabel is a short description of the scope for the top bar.
func (p *Principal) ScopeLabel() string { return strings.Join(p.Scopes, ",") }

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
