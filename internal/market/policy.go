package market

import (
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
)

// The room's access rules, in one place:
//   - county_admin manages everything in its scope: buyers, listings (on behalf of subjects), contracts, brands and
//     their authorisations, batches and events;
//   - township_operator does the same for subjects located in its township(s), except creating brands;
//   - member posts and edits its own subject's listings, sees the open listings of its county and the matches of
//     its own listings, drafts and signs contracts it is a party of, records its side's fulfilment (the seller
//     deliveries, the buyer acceptance and payment), and issues batch codes under its own brand authorisations;
//   - department, taskforce and viewer read everything in their scope;
//   - provider, bank and sysadmin see nothing of this room (the credit room reads contracts through Go methods);
//   - anyone, without logging in, reads the public page of a batch code (no personal data).

var (
	errNoListing  = apperr.New(apperr.NotFound, "供求信息不存在或不在您的管辖范围内")
	errNoContract = apperr.New(apperr.NotFound, "订单合同不存在或不在您的管辖范围内")
	errNoBrand    = apperr.New(apperr.NotFound, "品牌不存在")
	errNoAuth     = apperr.New(apperr.NotFound, "品牌授权不存在或不在您的管辖范围内")
	errNoEvent    = apperr.New(apperr.NotFound, "营销活动不存在或不在您的管辖范围内")
	errReadOnly   = apperr.New(apperr.Forbidden, "您的角色只能查看，不能办理")
	errNoAccess   = apperr.New(apperr.Forbidden, "您的角色不能使用产销对接")
)

func isStaff(p *auth.Principal) bool {
	return p != nil && p.Is(auth.CountyAdmin, auth.TownshipOperator)
}

func isReader(p *auth.Principal) bool {
	return p != nil && p.Is(auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer)
}

func isMember(p *auth.Principal) bool { return p != nil && p.Is(auth.Member) && p.SubjectID != 0 }

// canSee reports whether p may see the room at all.
func canSee(p *auth.Principal) bool { return isReader(p) || isMember(p) }

// staffFor checks that p is staff whose scope holds regionCode.
func staffFor(p *auth.Principal, regionCode, what string) error {
	if !isStaff(p) {
		return errReadOnly
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, what+"不在您的管辖范围内")
	}
	return nil
}

// scopeSQL limits rows with region columns cols to p's scope (any column in scope is enough).
func scopeSQL(p *auth.Principal, cols ...string) (string, []any) {
	if !isReader(p) || len(p.Scopes) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, col := range cols {
		for _, pre := range p.ScopePrefixes() {
			lo, hi := db.PrefixRange(pre)
			parts = append(parts, "("+col+" >= ? AND "+col+" < ?)")
			args = append(args, lo, hi)
		}
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// prefixSQL limits col to a region prefix ("" = everywhere).
func prefixSQL(col, prefix string) (string, []any) {
	if prefix == "" {
		return "1 = 1", nil
	}
	lo, hi := db.PrefixRange(auth.RegionPrefix(prefix))
	return "(" + col + " >= ? AND " + col + " < ?)", []any{lo, hi}
}
