package supply

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/jobs"
	"nongfu/internal/platform/web"
	"nongfu/internal/region"
	"nongfu/internal/registry"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the room's schema (applied after registry: nodes refer to operators by subject id).
var Migrations = db.RoomMigrations("supply", migrationsFS, "migrations")

// Service is the room's use cases.
type Service struct {
	db       *db.DB
	regions  *region.Service
	subjects *registry.Service
	now      func() time.Time
	jobs     func() *jobs.Service

	// beforeTransferIn, when set (tests), runs between the two sides of a transfer; an error aborts it.
	beforeTransferIn func() error
}

// NewService wires the room.
func NewService(d *db.DB, regions *region.Service, subjects *registry.Service) *Service {
	return &Service{db: d, regions: regions, subjects: subjects, now: time.Now}
}

func (s *Service) today() string { return s.now().In(web.Shanghai).Format("2006-01-02") }

// ---------------------------------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------------------------------

const nodeCols = `n.id, n.kind, n.name, n.region_code, n.operator_id, n.functions, n.address, n.lng, n.lat, n.status, n.note,
	n.created_at, n.updated_at`

func (s *Service) scanNode(sc interface{ Scan(...any) error }) (*Node, error) {
	n := &Node{}
	var fns string
	if err := sc.Scan(&n.ID, &n.Kind, &n.Name, &n.RegionCode, &n.OperatorID, &fns, &n.Address, &n.Lng, &n.Lat, &n.Status, &n.Note,
		&n.CreatedAt, &n.UpdatedAt); err != nil {
		return nil, err
	}
	n.KindLabel = NodeKindLabel(n.Kind)
	n.StatusLabel = NodeStatusLabel(n.Status)
	n.RegionName = s.regions.Name(n.RegionCode)
	n.TownshipCode = region.Township(n.RegionCode)
	n.Functions = []string{}
	n.FunctionNames = []string{}
	for _, f := range strings.Split(fns, ",") {
		if f != "" {
			n.Functions = append(n.Functions, f)
			n.FunctionNames = append(n.FunctionNames, FunctionLabel(f))
		}
	}
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	return n, nil
}

// operatorNames fills the operators' names.
func (s *Service) operatorNames(ctx context.Context, list []*Node) error {
	var ids []int64
	for _, n := range list {
		if n.OperatorID != 0 {
			ids = append(ids, n.OperatorID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	subs, err := s.subjects.Lookup(ctx, ids)
	if err != nil {
		return err
	}
	for _, n := range list {
		if x, ok := subs[n.OperatorID]; ok {
			n.OperatorName = x.Name
		}
	}
	return nil
}

// NodeFilter selects nodes.
type NodeFilter struct {
	Kind     string
	Township string // 12-digit township code
	Status   string
	Q        string
	Page     int
	PerPage  int
}

// ListNodes returns the nodes p may read, by region and name.
func (s *Service) ListNodes(ctx context.Context, p *auth.Principal, f NodeFilter) ([]*Node, int, error) {
	where, args := scopeSQL(p)
	if f.Kind != "" {
		where += " AND n.kind = ?"
		args = append(args, f.Kind)
	}
	if f.Status != "" {
		where += " AND n.status = ?"
		args = append(args, f.Status)
	}
	if t := strings.TrimSpace(f.Township); t != "" {
		lo, hi := db.PrefixRange(auth.RegionPrefix(t))
		where += " AND n.region_code >= ? AND n.region_code < ?"
		args = append(args, lo, hi)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND n.name LIKE ? ESCAPE '\'`
		args = append(args, db.Like(q))
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_nodes n WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count nodes: %w", err)
	}
	if f.PerPage <= 0 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+nodeCols+` FROM supply_nodes n WHERE `+where+` ORDER BY n.region_code, n.name, n.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []*Node
	for rows.Next() {
		n, err := s.scanNode(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	return out, total, s.operatorNames(ctx, out)
}

func (s *Service) loadNode(ctx context.Context, q db.Querier, id int64) (*Node, error) {
	n, err := s.scanNode(q.QueryRowContext(ctx, `SELECT `+nodeCols+` FROM supply_nodes n WHERE n.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoNode
	}
	if err != nil {
		return nil, fmt.Errorf("get node %d: %w", id, err)
	}
	return n, nil
}

// GetNode returns a node p may read, with its on-hand stock by goods.
func (s *Service) GetNode(ctx context.Context, p *auth.Principal, id int64) (*Node, error) {
	n, err := s.loadNode(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if !canRead(p, n) {
		return nil, errNoNode
	}
	if err := s.operatorNames(ctx, []*Node{n}); err != nil {
		return nil, err
	}
	n.Stock, err = s.stock(ctx, "n.id = ?", []any{id})
	return n, err
}

// validateNode checks a node's input and returns it normalised (functions in order) with its coordinates.
func (s *Service) validateNode(ctx context.Context, in NodeInput) (NodeInput, float64, float64, error) {
	fe := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	if !validKind(in.Kind) {
		fe["kind"] = "请选择网点类型"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fe["name"] = "请填写名称（不超过 60 字）"
	}
	reg, ok := s.regions.Get(in.RegionCode)
	switch {
	case !ok:
		fe["region_code"] = "区划代码不存在"
	case validKind(in.Kind):
		if msg := levelRule(in.Kind, reg.Level); msg != "" {
			fe["region_code"] = msg
		}
	}
	if in.Status == "" {
		in.Status = NodeActive
	}
	if in.Status != NodeActive && in.Status != NodeBuilding && in.Status != NodeClosed {
		fe["status"] = "状态只能是 运营中、建设中 或 已停用"
	}
	var fns []string
	seen := map[string]bool{}
	for _, f := range in.Functions {
		f = strings.TrimSpace(f)
		if !validFunction(f) {
			fe["functions"] = "未知的站点功能：" + f
			continue
		}
		if !seen[f] {
			seen[f] = true
			fns = append(fns, f)
		}
	}
	sort.Slice(fns, func(i, j int) bool { return funcOrder(fns[i]) < funcOrder(fns[j]) })
	if in.Kind == KindStation && len(fns) == 0 {
		fe["functions"] = "一站式服务站请至少选择一项服务功能"
	}
	if utf8.RuneCountInString(in.Address) > 200 || utf8.RuneCountInString(in.Note) > 500 {
		fe["note"] = "地址不超过 200 字，备注不超过 500 字"
	}
	var lng, lat float64
	if ok {
		lng, lat = reg.Lng, reg.Lat
	}
	if in.Lng != nil && in.Lat != nil {
		lng, lat = *in.Lng, *in.Lat
		if math.IsNaN(lng) || math.IsNaN(lat) || lng < 73 || lng > 136 || lat < 3 || lat > 54 {
			fe["lng"] = "经纬度不在中国境内"
		}
	}
	if in.OperatorID != 0 {
		subs, err := s.subjects.Lookup(ctx, []int64{in.OperatorID})
		if err != nil {
			return in, 0, 0, err
		}
		if _, ok := subs[in.OperatorID]; !ok {
			fe["operator_id"] = "运营主体不存在"
		}
	}
	in.Functions = fns
	if len(fe) > 0 {
		return in, 0, 0, apperr.FieldErrors(fe)
	}
	return in, lng, lat, nil
}

// CreateNode opens a node.
func (s *Service) CreateNode(ctx context.Context, p *auth.Principal, in NodeInput) (*Node, error) {
	in, lng, lat, err := s.validateNode(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := canCreateNode(p, in.RegionCode); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.createNodeTx(ctx, tx, p.Actor(), in, lng, lat, time.Time{})
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.GetNode(ctx, p, id)
}

func (s *Service) createNodeTx(ctx context.Context, tx *db.Tx, actor audit.Actor, in NodeInput, lng, lat float64, at time.Time) (int64, error) {
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO supply_nodes (id, county_code, kind, name, region_code, operator_id, functions, address, lng, lat,
		status, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, region.County(in.RegionCode), in.Kind, in.Name, in.RegionCode, in.OperatorID, strings.Join(in.Functions, ","), strings.TrimSpace(in.Address),
		lng, lat, in.Status, strings.TrimSpace(in.Note), at, at)
	if err != nil {
		return 0, fmt.Errorf("insert node: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_node", EntityID: id,
		Summary: "新增" + NodeKindLabel(in.Kind) + "：" + in.Name, After: map[string]any{"kind": in.Kind, "region_code": in.RegionCode,
			"operator_id": in.OperatorID, "functions": in.Functions, "status": in.Status}})
}

func validKind(k string) bool {
	for _, x := range NodeKinds {
		if x == k {
			return true
		}
	}
	return false
}

func validFunction(f string) bool { return funcOrder(f) >= 0 }

func funcOrder(f string) int {
	for i, x := range StationFunctions {
		if x == f {
			return i
		}
	}
	return -1
}

// levelRule says what is wrong with placing a node of kind at a region of level ("" if nothing).
func levelRule(kind, level string) string {
	switch NodeLevel(kind) {
	case "county":
		if level != region.LevelCounty && level != region.LevelTownship {
			return "县级节点请选择县或乡镇（街道）"
		}
	case "township":
		if level != region.LevelTownship {
			return "乡镇物流节点请选择乡镇（街道）"
		}
	default:
		if level != region.LevelVillage {
			return "村级物流点、流通网点和服务站请选择到村（社区）"
		}
	}
	return ""
}

// Counts returns live node counts by kind and township (county-level nodes under the county) that p may read.
func (s *Service) Counts(ctx context.Context, p *auth.Principal) ([]Count, error) {
	where, args := scopeSQL(p)
	rows, err := s.db.QueryContext(ctx, `SELECT n.kind, substr(n.region_code, 1, 9), n.status, COUNT(*) FROM supply_nodes n WHERE `+where+`
		GROUP BY n.kind, substr(n.region_code, 1, 9), n.status`, args...)
	if err != nil {
		return nil, fmt.Errorf("count nodes: %w", err)
	}
	defer rows.Close()
	by := map[[2]string]*Count{}
	for rows.Next() {
		var kind, town, status string
		var n int
		if err := rows.Scan(&kind, &town, &status, &n); err != nil {
			return nil, err
		}
		k := [2]string{kind, town + "000"}
		c := by[k]
		if c == nil {
			c = &Count{Kind: kind, KindLabel: NodeKindLabel(kind), TownshipCode: town + "000"}
			if town[6:] == "000" {
				c.TownshipName = "县级（" + s.regions.ShortName(town+"000") + "）"
			} else {
				c.TownshipName = s.regions.ShortName(town + "000")
			}
			by[k] = c
		}
		c.Total += n
		if status == NodeActive {
			c.Active += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Count, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TownshipCode != out[j].TownshipCode {
			return out[i].TownshipCode < out[j].TownshipCode
		}
		return kindOrder(out[i].Kind) < kindOrder(out[j].Kind)
	})
	return out, nil
}

func kindOrder(k string) int {
	for i, x := range NodeKinds {
		if x == k {
			return i
		}
	}
	return len(NodeKinds)
}

// CountNodes counts active nodes of kind ("" for every kind) whose region code starts with regionPrefix (a
// 2/4/6/9/12-digit prefix or a 12-digit code; "" for all). For the plan's KPIs (outlets, stations); no access check.
func (s *Service) CountNodes(ctx context.Context, kind, regionPrefix string) (int, error) {
	where, args := "n.status = ?", []any{NodeActive}
	if kind != "" {
		where += " AND n.kind = ?"
		args = append(args, kind)
	}
	if pre := auth.RegionPrefix(strings.TrimSpace(regionPrefix)); pre != "" {
		lo, hi := db.PrefixRange(pre)
		where += " AND n.region_code >= ? AND n.region_code < ?"
		args = append(args, lo, hi)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM supply_nodes n WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count nodes: %w", err)
	}
	return n, nil
}

// ---------------------------------------------------------------------------------------------------------------
// Goods
// ---------------------------------------------------------------------------------------------------------------

const goodsCols = `g.id, g.category, g.name, g.spec, g.unit, g.decimals, g.reg_no, g.status, g.created_at, g.unit_weight_g, g.unit_volume_ml`

func scanGoods(sc interface{ Scan(...any) error }) (*Goods, error) {
	g := &Goods{}
	if err := sc.Scan(&g.ID, &g.Category, &g.Name, &g.Spec, &g.Unit, &g.Decimals, &g.RegNo, &g.Status, &g.CreatedAt, &g.UnitWeightG, &g.UnitVolumeML); err != nil {
		return nil, err
	}
	g.CategoryLabel = CategoryLabel(g.Category)
	g.Group = CategoryGroup(g.Category)
	g.CreatedAt = g.CreatedAt.UTC()
	return g, nil
}

// GoodsFilter selects catalog items.
type GoodsFilter struct {
	Category string
	Group    string // inputs or daily
	Q        string
}

// ListGoods returns the catalog, by category and name.
func (s *Service) ListGoods(ctx context.Context, p *auth.Principal, f GoodsFilter) ([]*Goods, error) {
	if !canReadGoods(p) {
		return nil, apperr.New(apperr.Forbidden, "您的角色不能查看商品目录")
	}
	where, args := "1 = 1", []any{}
	if f.Category != "" {
		where += " AND g.category = ?"
		args = append(args, f.Category)
	}
	if f.Group != "" {
		cats := DailyCategories
		if f.Group == "inputs" {
			cats = InputCategories
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(cats)), ",")
		where += " AND g.category IN (" + ph + ")"
		for _, c := range cats {
			args = append(args, c)
		}
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		where += ` AND g.name LIKE ? ESCAPE '\'`
		args = append(args, db.Like(q))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+goodsCols+` FROM supply_goods g WHERE `+where+` ORDER BY g.category, g.name, g.spec`, args...)
	if err != nil {
		return nil, fmt.Errorf("list goods: %w", err)
	}
	defer rows.Close()
	var out []*Goods
	for rows.Next() {
		g, err := scanGoods(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return catOrder(out[i].Category) < catOrder(out[j].Category) })
	return out, nil
}

func catOrder(c string) int {
	for i, x := range append(append([]string{}, InputCategories...), DailyCategories...) {
		if x == c {
			return i
		}
	}
	return 99
}

func (s *Service) loadGoods(ctx context.Context, q db.Querier, id int64) (*Goods, error) {
	g, err := scanGoods(q.QueryRowContext(ctx, `SELECT `+goodsCols+` FROM supply_goods g WHERE g.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoGoods
	}
	if err != nil {
		return nil, fmt.Errorf("get goods %d: %w", id, err)
	}
	return g, nil
}

// CreateGoods adds a catalog item. A 农药 needs its 农药登记证号 (PD…/WP…/LS…).
func (s *Service) CreateGoods(ctx context.Context, p *auth.Principal, in GoodsInput) (*Goods, error) {
	if err := canWriteGoods(p); err != nil {
		return nil, err
	}
	in.Name, in.Spec, in.Unit, in.RegNo = strings.TrimSpace(in.Name), strings.TrimSpace(in.Spec), strings.TrimSpace(in.Unit), strings.ToUpper(strings.TrimSpace(in.RegNo))
	fe := map[string]string{}
	if !validCategory(in.Category) {
		fe["category"] = "请选择商品类别"
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		fe["name"] = "请填写商品名称（不超过 60 字）"
	}
	if utf8.RuneCountInString(in.Spec) > 60 {
		fe["spec"] = "规格不超过 60 字"
	}
	if in.Unit == "" || utf8.RuneCountInString(in.Unit) > 8 {
		fe["unit"] = "请填写计量单位（如 袋、千克、瓶）"
	}
	if in.Decimals < 0 || in.Decimals > 3 {
		fe["decimals"] = "小数位数为 0–3"
	}
	if in.UnitWeightG < 0 || in.UnitVolumeML < 0 {
		fe["unit_weight_g"] = "单位重量、体积不能为负"
	}
	if in.Category == "pesticide" && in.RegNo == "" {
		fe["reg_no"] = "农药须填写农药登记证号（如 PD20080001）"
	}
	if len(fe) > 0 {
		return nil, apperr.FieldErrors(fe)
	}
	county := ""
	if len(p.Scopes) > 0 {
		county = region.County(p.Scopes[0])
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var e error
		id, e = s.createGoodsTx(ctx, tx, p.Actor(), county, in, time.Time{})
		return e
	})
	if err != nil {
		return nil, err
	}
	return s.loadGoods(ctx, s.db, id)
}

func (s *Service) createGoodsTx(ctx context.Context, tx *db.Tx, actor audit.Actor, county string, in GoodsInput, at time.Time) (int64, error) {
	if at.IsZero() {
		at = s.now().UTC().Truncate(time.Microsecond)
	}
	id := tx.NextID()
	_, err := tx.ExecContext(ctx, `INSERT INTO supply_goods (id, county_code, category, name, spec, unit, decimals, reg_no, status, created_at,
		unit_weight_g, unit_volume_ml) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)`, id, county, in.Category, in.Name, in.Spec, in.Unit,
		in.Decimals, in.RegNo, at, in.UnitWeightG, in.UnitVolumeML)
	if db.IsUniqueViolation(err) {
		return 0, apperr.Errorf(apperr.Conflict, "商品目录中已有 %s（%s）", in.Name, in.Spec)
	}
	if err != nil {
		return 0, fmt.Errorf("insert goods: %w", err)
	}
	return id, audit.Write(ctx, tx, audit.Entry{Actor: actor, Action: "create", Entity: "supply_goods", EntityID: id,
		Summary: "商品目录新增：" + in.Name, After: in})
}
