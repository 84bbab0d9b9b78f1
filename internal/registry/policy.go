package registry

import (
	"nongfu/internal/platform/db"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The register's access rules, in one place:
//   - county_admin, department, taskforce, viewer, sysadmin: read every subject in their scope (a county);
//   - township_operator: read and edit subjects in their township(s);
//   - county_admin: edit in scope;
//   - member, provider, bank: read only their own subject (a bank reads others through the credit room's consent);
//   - personal data in clear: county_admin and township_operator in scope, each reveal audited.

func canEdit(p *auth.Principal, regionCode string) error {
	if !p.Is(auth.CountyAdmin, auth.TownshipOperator) {
		return apperr.New(apperr.Forbidden, "您的角色不能修改主体名录")
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该区域不在您的管辖范围内")
	}
	return nil
}

func canSeeClear(p *auth.Principal, regionCode string) bool {
	return p.Is(auth.CountyAdmin, auth.TownshipOperator) && p.InRegion(regionCode)
}

// scopeSQL returns the WHERE fragment limiting subjects to what p may read.
func scopeSQL(p *auth.Principal, col string) (string, []any) {
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		return "s.id = ?", []any{p.SubjectID}
	}
	if len(p.Scopes) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, pre := range p.ScopePrefixes() {
		lo, hi := db.PrefixRange(pre)
		parts = append(parts, col+" >= ? AND "+col+" < ?")
		args = append(args, lo, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// canSee reports whether p may read a subject in regionCode with id.
func canSee(p *auth.Principal, id int64, regionCode string) bool {
	if p.Is(auth.Member, auth.Provider, auth.Bank) {
		return p.SubjectID == id
	}
	return p.InRegion(regionCode)
}
