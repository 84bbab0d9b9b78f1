package credit

import (
	"nongfu/internal/platform/db"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The room's access rules, in one place:
//
//   - member, provider: their own subject only — file consents for it, revoke them, read its credit file and who read
//     it, apply for loans and see them;
//   - bank (SubjectID = its institution): products, applications and loans of its own institution only; the consents
//     granted to it; a subject's credit file only with a live consent to it (active, not revoked, today within
//     valid_from…valid_to) — otherwise 403 and no data; every such read is logged with the consent it relied on;
//     reviews, approves, rejects, signs, disburses, records repayments and writes off its own loans;
//   - county_admin, township_operator: everything of subjects in their region scope; file consents (代办, with the
//     scan of the signed paper form), revoke them, apply for loans on behalf (代办); county_admin may also define
//     products for an institution;
//   - department, taskforce, viewer, sysadmin: read-only, in their region scope.

var (
	errReadOnly   = apperr.New(apperr.Forbidden, "您的角色只能查看信用与金融信息，不能修改")
	errNoConsent  = apperr.New(apperr.NotFound, "授权记录不存在或您无权查看")
	errNoLoan     = apperr.New(apperr.NotFound, "贷款记录不存在或您无权查看")
	errNoProduct  = apperr.New(apperr.NotFound, "贷款产品不存在或您无权查看")
	errNoSubject  = apperr.New(apperr.NotFound, "主体不存在或不在您的管辖范围内")
	errBankNoLive = apperr.New(apperr.Forbidden, "该主体未向贵机构授权或授权已过期、已撤销，不能查看其信用档案")
)

func isSelf(p *auth.Principal) bool  { return p.Is(auth.Member, auth.Provider) }
func isBank(p *auth.Principal) bool  { return p.Is(auth.Bank) }
func isStaff(p *auth.Principal) bool { return p.Is(auth.CountyAdmin, auth.TownshipOperator) }
func isReadOnly(p *auth.Principal) bool {
	return p.Is(auth.Department, auth.Taskforce, auth.Viewer, auth.Sysadmin)
}

// canSeeSubject reports whether p may see the room's records of a subject (not the bank's consent rule).
func canSeeSubject(p *auth.Principal, subjectID int64, regionCode string) bool {
	switch {
	case p == nil:
		return false
	case isSelf(p):
		return p.SubjectID == subjectID
	case isStaff(p), isReadOnly(p):
		return p.InRegion(regionCode)
	}
	return false
}

// canActFor reports whether p may file consents and applications for a subject (own, or 代办 in scope).
func canActFor(p *auth.Principal, subjectID int64, regionCode string) error {
	switch {
	case isSelf(p):
		if p.SubjectID != subjectID {
			return apperr.New(apperr.Forbidden, "只能为本人（本单位）办理")
		}
		return nil
	case isStaff(p):
		if !p.InRegion(regionCode) {
			return apperr.New(apperr.Forbidden, "该主体不在您的管辖范围内")
		}
		return nil
	}
	return errReadOnly
}

// scopeSQL limits rows (consents c / loans l) to what p may see; col names the region column, subj the subject
// column and inst the institution column.
func scopeSQL(p *auth.Principal, col, subj, inst string) (string, []any) {
	switch {
	case p == nil:
		return "1 = 0", nil
	case isSelf(p):
		return subj + " = ?", []any{p.SubjectID}
	case isBank(p):
		return inst + " = ?", []any{p.SubjectID}
	case isStaff(p), isReadOnly(p):
		return regionSQL(p, col)
	}
	return "1 = 0", nil
}

func regionSQL(p *auth.Principal, col string) (string, []any) {
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

// counties returns the 6-digit county codes of p's scopes.
func counties(p *auth.Principal) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range p.Scopes {
		if len(s) >= 6 && !seen[s[:6]] {
			seen[s[:6]] = true
			out = append(out, s[:6])
		}
	}
	return out
}
