package supply

import (
	"nongfu/internal/platform/db"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// The room's access rules, in one place:
//   - county_admin reads and writes every node, move and goods item in its scope, and alone keeps the goods catalog;
//   - township_operator reads and writes the nodes whose region lies in its township(s) (a transfer needs write on
//     both sides, so township → village inside the township is the operator's, county → township is the county's);
//   - department, taskforce and viewer read nodes, stock and moves in their scope;
//   - provider and member users read the nodes their own subject operates (operator_id = their subject);
//   - everybody who may read a node may read the goods catalog; bank and sysadmin see nothing of the room.

var (
	errNoNode    = apperr.New(apperr.NotFound, "网点不存在或不在您的管辖范围内")
	errNoGoods   = apperr.New(apperr.NotFound, "商品不存在")
	errNoMove    = apperr.New(apperr.NotFound, "库存流水不存在")
	errReadOnly  = apperr.New(apperr.Forbidden, "您的角色只能查看，不能办理出入库")
	errNotInArea = apperr.New(apperr.Forbidden, "该网点不在您的管辖范围内，不能办理出入库")
)

var (
	staffRoles  = []auth.Role{auth.CountyAdmin, auth.TownshipOperator}
	scopeRoles  = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Department, auth.Taskforce, auth.Viewer}
	selfRoles   = []auth.Role{auth.Provider, auth.Member}
	readerRoles = append(append([]auth.Role{}, scopeRoles...), selfRoles...)
)

func isStaff(p *auth.Principal) bool { return p.Is(staffRoles...) }

// canRead reports whether p may read node n (and its stock and moves).
func canRead(p *auth.Principal, n *Node) bool {
	switch {
	case p == nil:
		return false
	case p.Is(selfRoles...):
		return p.SubjectID != 0 && p.SubjectID == n.OperatorID
	case p.Is(scopeRoles...):
		return p.InRegion(n.RegionCode)
	}
	return false
}

// canWrite checks that p may record moves at n.
func canWrite(p *auth.Principal, n *Node) error {
	if !canRead(p, n) {
		return errNoNode
	}
	if !isStaff(p) {
		return errReadOnly
	}
	return nil
}

// canCreateNode checks that p may open a node in regionCode.
func canCreateNode(p *auth.Principal, regionCode string) error {
	if !isStaff(p) {
		return apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以新增网点")
	}
	if !p.InRegion(regionCode) {
		return apperr.New(apperr.Forbidden, "该地区不在您的管辖范围内")
	}
	return nil
}

func canReadGoods(p *auth.Principal) bool { return p.Is(readerRoles...) }

func canWriteGoods(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以维护商品目录")
	}
	return nil
}

// scopeSQL limits nodes (alias n) to what p may read.
func scopeSQL(p *auth.Principal) (string, []any) {
	if p.Is(selfRoles...) {
		if p.SubjectID == 0 {
			return "1 = 0", nil
		}
		return "n.operator_id = ?", []any{p.SubjectID}
	}
	if !p.Is(scopeRoles...) || len(p.Scopes) == 0 {
		return "1 = 0", nil
	}
	var parts []string
	var args []any
	for _, pre := range p.ScopePrefixes() {
		lo, hi := db.PrefixRange(pre)
		parts = append(parts, "(n.region_code >= ? AND n.region_code < ?)")
		args = append(args, lo, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
