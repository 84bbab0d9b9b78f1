package service

import (
	"nongfu/internal/platform/db"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The room's access rules, in one place:
//   - county_admin manages everything in its scope: carriers of every level, the catalog of its county (price,
//     标准亩 weight, due hours), contracts and requests;
//   - township_operator manages carriers below county level, contracts and requests of carriers in its township(s);
//   - member reads the carrier list and the catalog, files its own subject's requests, and reads its own requests
//     and contracts;
//   - department, taskforce and viewer read everything in their scope;
//   - provider, bank and sysadmin see nothing of this room (for now).

var (
	errNoCenter   = apperr.New(apperr.NotFound, "服务载体不存在或不在您的管辖范围内")
	errNoContract = apperr.New(apperr.NotFound, "签约服务不存在")
	errNoRequest  = apperr.New(apperr.NotFound, "服务申请不存在或不在您的管辖范围内")
	errReadOnly   = apperr.New(apperr.Forbidden, "您的角色只能查看，不能办理")
)

func isStaff(p *auth.Principal) bool {
	return p != nil && p.Is(auth.CountyAdmin, auth.TownshipOperator)
}

func isReader(p *auth.Principal) bool {
	return p != nil && p.Is(auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer)
}

// canSee reports whether p may see the room at all.
func canSee(p *auth.Principal) bool { return isReader(p) || (p != nil && p.Is(auth.Member)) }

// canReadCenter: readers in scope; members read every carrier (they choose where to file).
func canReadCenter(p *auth.Principal, c *Center) bool {
	if p == nil {
		return false
	}
	if p.Is(auth.Member) {
		return true
	}
	return isReader(p) && p.InRegion(c.RegionCode)
}

// canWriteCenter checks that p may create or change a carrier of level in region.
func canWriteCenter(p *auth.Principal, level, regionCode string) error {
	if !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以管理服务载体")
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该载体不在您的管辖范围内")
	}
	if level == LevelCounty && !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "县级为农服务中心由县级管理员管理")
	}
	return nil
}

// canHandle checks that p may sign contracts for, or handle requests of, a carrier in centerRegion.
func canHandle(p *auth.Principal, centerRegion string) error {
	if !isStaff(p) {
		return errReadOnly
	}
	if !p.InRegion(centerRegion) {
		return apperr.New(apperr.Forbidden, "该服务载体不在您的管辖范围内")
	}
	return nil
}

// scopeSQL limits rows with a region column col (and a subject column subj, for members) to what p may read.
func scopeSQL(p *auth.Principal, col, subj string) (string, []any) {
	if p != nil && p.Is(auth.Member) {
		if subj == "" {
			return "1 = 1", nil
		}
		return subj + " = ?", []any{p.SubjectID}
	}
	if !isReader(p) || len(p.Scopes) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, pre := range p.ScopePrefixes() {
		lo, hi := db.PrefixRange(pre)
		parts = append(parts, "("+col+" >= ? AND "+col+" < ?)")
		args = append(args, lo, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
