package supply

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/region"
)

// UpdateNode edits a node: the same rules as CreateNode, and p must be able to write the node where it is and
// where it moves to. A node with stock keeps its stock (the ledger follows the node id).
func (s *Service) UpdateNode(ctx context.Context, p *auth.Principal, id int64, in NodeInput) (*Node, error) {
	old, err := s.loadNode(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := canWrite(p, old); err != nil {
		return nil, err
	}
	in, lng, lat, err := s.validateNode(ctx, in)
	if err != nil {
		return nil, err
	}
	if in.Lng == nil && in.RegionCode == old.RegionCode {
		lng, lat = old.Lng, old.Lat // keep surveyed coordinates unless the node moved
	}
	if err := canCreateNode(p, in.RegionCode); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error { return s.updateNodeTx(ctx, tx, p.Actor(), old, in, lng, lat) })
	if err != nil {
		return nil, err
	}
	return s.GetNode(ctx, p, id)
}

func (s *Service) updateNodeTx(ctx context.Context, tx *db.Tx, actor audit.Actor, old *Node, in NodeInput, lng, lat float64) error {
	_, err := tx.ExecContext(ctx, `UPDATE supply_nodes SET kind = ?, name = ?, region_code = ?, county_code = ?, operator_id = ?, functions = ?, address = ?,
		lng = ?, lat = ?, status = ?, note = ?, updated_at = ? WHERE id = ?`, in.Kind, in.Name, in.RegionCode, region.County(in.RegionCode), in.OperatorID,
		strings.Join(in.Functions, ","), strings.TrimSpace(in.Address), lng, lat, in.Status, strings.TrimSpace(in.Note), s.now().UTC().Truncate(time.Microsecond), old.ID)
	if err != nil {
		return fmt.Errorf("update node: %w", err)
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "update", Entity: "supply_node", EntityID: old.ID, Summary: "修改网点：" + in.Name,
		Before: map[string]any{"kind": old.Kind, "name": old.Name, "region_code": old.RegionCode, "operator_id": old.OperatorID, "functions": old.Functions,
			"status": old.Status}, After: map[string]any{"kind": in.Kind, "name": in.Name, "region_code": in.RegionCode, "operator_id": in.OperatorID,
			"functions": in.Functions, "status": in.Status}})
}

// NodeImporter loads the network from a spreadsheet: a row is a node, matched by 区划代码 + 名称 (an existing node
// is updated, so importing the same sheet twice creates nothing new).
type NodeImporter struct{ S *Service }

func (NodeImporter) Name() string  { return "supply_nodes" }
func (NodeImporter) Title() string { return "流通网点与物流节点" }
func (NodeImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "kind", Header: "类型", Required: true, Note: "县级仓储中心、集采集配中心、冷链仓库、乡镇物流节点、村级物流点、流通网点、一站式村级服务站", Example: "一站式村级服务站"},
		{Key: "name", Header: "名称", Required: true, Aliases: []string{"网点名称"}, Example: "七星村一站式服务站"},
		{Key: "region_code", Header: "区划代码", Required: true, Note: "12 位：县级节点为县或乡镇，乡镇节点为乡镇，其余为村", Aliases: []string{"所在地代码"}, Example: "500237101001"},
		{Key: "operator", Header: "运营主体证件号", Note: "统一社会信用代码、身份证号或主体编号（须已在主体名录中）", Aliases: []string{"运营主体"}},
		{Key: "functions", Header: "服务功能", Note: "服务站必填，用顿号分隔：快递收发、农资、日用品、农产品收购、金融服务点", Example: "快递收发、农资、日用品"},
		{Key: "address", Header: "地址"},
		{Key: "lng", Header: "经度", Note: "可空，默认取区划坐标"},
		{Key: "lat", Header: "纬度"},
		{Key: "status", Header: "状态", Note: "运营中（默认）、建设中、已停用", Example: "运营中"},
		{Key: "note", Header: "备注"},
	}
}

func lookupLabel(v string, codes []string, label func(string) string) (string, bool) {
	v = strings.TrimSpace(v)
	for _, c := range codes {
		if v == c || v == label(c) {
			return c, true
		}
	}
	return "", false
}

// ImportRow validates and writes one node.
func (i NodeImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := i.S
	fe := map[string]string{}
	in := NodeInput{Name: row["name"], RegionCode: strings.TrimSpace(row["region_code"]), Address: row["address"], Note: row["note"]}
	var ok bool
	if in.Kind, ok = lookupLabel(row["kind"], NodeKinds, NodeKindLabel); !ok {
		fe["kind"] = "未知的网点类型：" + row["kind"]
	}
	if st := strings.TrimSpace(row["status"]); st != "" {
		if in.Status, ok = lookupLabel(st, []string{NodeActive, NodeBuilding, NodeClosed}, NodeStatusLabel); !ok {
			fe["status"] = "状态只能是 运营中、建设中 或 已停用"
		}
	}
	for _, f := range strings.FieldsFunc(row["functions"], func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ';' || r == ' ' }) {
		code, ok := lookupLabel(f, StationFunctions, FunctionLabel)
		if !ok {
			fe["functions"] = "未知的服务功能：" + f
			continue
		}
		in.Functions = append(in.Functions, code)
	}
	if k := strings.TrimSpace(row["operator"]); k != "" {
		sid, err := s.subjects.FindByKey(ctx, tx, k)
		if err != nil {
			if apperr.CodeOf(err) != apperr.NotFound {
				return false, err
			}
			fe["operator"] = "主体名录中没有该运营主体"
		}
		in.OperatorID = sid
	}
	if a, b := strings.TrimSpace(row["lng"]), strings.TrimSpace(row["lat"]); a != "" || b != "" {
		lng, e1 := strconv.ParseFloat(a, 64)
		lat, e2 := strconv.ParseFloat(b, 64)
		if e1 != nil || e2 != nil {
			fe["lng"] = "经纬度须为数字"
		} else {
			in.Lng, in.Lat = &lng, &lat
		}
	}
	if len(fe) > 0 {
		return false, apperr.FieldErrors(fe)
	}
	in, lng, lat, err := s.validateNode(ctx, in)
	if err != nil {
		return false, err
	}
	if err := canCreateNode(p, in.RegionCode); err != nil {
		return false, apperr.FieldErrors(map[string]string{"region_code": apperr.MessageOf(err)})
	}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM supply_nodes WHERE region_code = ? AND name = ?`, in.RegionCode, in.Name).Scan(&id)
	if err != nil {
		_, err := s.createNodeTx(ctx, tx, p.Actor(), in, lng, lat, time.Time{})
		return err == nil, err
	}
	old, err := s.loadNode(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if in.Lng == nil {
		lng, lat = old.Lng, old.Lat
	}
	return false, s.updateNodeTx(ctx, tx, p.Actor(), old, in, lng, lat)
}

// DistanceImporter loads a road-distance matrix (道路里程表) between nodes, used by route plans that ask for it.
type DistanceImporter struct{ S *Service }

func (DistanceImporter) Name() string  { return "supply_distances" }
func (DistanceImporter) Title() string { return "网点道路里程表" }
func (DistanceImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "from", Header: "起点网点", Required: true, Note: "网点编号或名称", Example: "巫山县县级仓储物流中心"},
		{Key: "to", Header: "终点网点", Required: true, Note: "网点编号或名称"},
		{Key: "km", Header: "道路里程（千米）", Required: true, Aliases: []string{"里程", "千米"}, Example: "23.5"},
	}
}

func (i DistanceImporter) node(ctx context.Context, tx *db.Tx, p *auth.Principal, v string) (int64, bool) {
	v = strings.TrimSpace(v)
	var id int64
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		id = n
	} else if err := tx.QueryRowContext(ctx, `SELECT id FROM supply_nodes WHERE name = ? ORDER BY id LIMIT 1`, v).Scan(&id); err != nil {
		return 0, false
	}
	n, err := i.S.loadNode(ctx, tx, id)
	return id, err == nil && canRead(p, n)
}

// ImportRow stores one distance (both directions are looked up, so one row per pair suffices).
func (i DistanceImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	if !isStaff(p) {
		return false, apperr.New(apperr.Forbidden, "只有县级管理员和乡镇操作员可以导入里程表")
	}
	fe := map[string]string{}
	from, ok1 := i.node(ctx, tx, p, row["from"])
	to, ok2 := i.node(ctx, tx, p, row["to"])
	if !ok1 {
		fe["from"] = "找不到起点网点：" + row["from"]
	}
	if !ok2 {
		fe["to"] = "找不到终点网点：" + row["to"]
	}
	km, err := strconv.ParseFloat(strings.TrimSpace(row["km"]), 64)
	if err != nil || km <= 0 || km > 2000 {
		fe["km"] = "里程须为 0–2000 的数字（千米）"
	}
	if len(fe) > 0 {
		return false, apperr.FieldErrors(fe)
	}
	m := int64(km*1000 + 0.5)
	res, err := tx.ExecContext(ctx, `UPDATE supply_distances SET meters = ? WHERE from_node_id = ? AND to_node_id = ?`, m, from, to)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO supply_distances (from_node_id, to_node_id, meters) VALUES (?, ?, ?)`, from, to, m); err != nil {
		return false, err
	}
	return true, audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "supply_distance", EntityID: from,
		Summary: fmt.Sprintf("道路里程：%d → %d %.1f 千米", from, to, km)})
}
