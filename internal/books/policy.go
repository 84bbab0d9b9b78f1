package books

import (
	"nongfu/internal/platform/db"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The room's access rules, in one place:
//   - county_admin and township_operator keep the books (制单, 审核, 记账, 结账) of organisations whose region lies in
//     their scope, and put organisations of their scope under service;
//   - reopening a closed period is for county_admin only, with a reason (audited);
//   - department, taskforce and viewer read the books in their scope;
//   - a member user whose subject is the organisation reads that organisation's books;
//   - every other role (provider, bank, sysadmin) sees no books.

var (
	errNoBook    = apperr.New(apperr.NotFound, "代账组织不存在或不在您的管辖范围内")
	errNoVoucher = apperr.New(apperr.NotFound, "凭证不存在")
	errReadOnly  = apperr.New(apperr.Forbidden, "您的角色只能查看账簿，不能记账")
)

func isStaff(p *auth.Principal) bool { return p.Is(auth.CountyAdmin, auth.TownshipOperator) }

func isReader(p *auth.Principal) bool {
	return p.Is(auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer)
}

// canRead reports whether p may read the books of b.
func canRead(p *auth.Principal, b *Book) bool {
	switch {
	case p == nil:
		return false
	case p.Is(auth.Member):
		return p.SubjectID != 0 && p.SubjectID == b.SubjectID
	case isReader(p):
		return p.InRegion(b.RegionCode)
	}
	return false
}

// canWrite checks that p may keep the books of b.
func canWrite(p *auth.Principal, b *Book) error {
	if !canRead(p, b) {
		return errNoBook
	}
	if !isStaff(p) {
		return errReadOnly
	}
	return nil
}

// canWriteRegion checks that p may put an organisation of regionCode under service.
func canWriteRegion(p *auth.Principal, regionCode string) error {
	if !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以办理代账委托")
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该组织不在您的管辖范围内")
	}
	return nil
}

// scopeSQL limits books to what p may read.
func scopeSQL(p *auth.Principal) (string, []any) {
	if p.Is(auth.Member) {
		return "b.subject_id = ?", []any{p.SubjectID}
	}
	if !isReader(p) || len(p.Scopes) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, pre := range p.ScopePrefixes() {
		lo, hi := db.PrefixRange(pre)
		parts = append(parts, "(b.region_code >= ? AND b.region_code < ?)")
		args = append(args, lo, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
