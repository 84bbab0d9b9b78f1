package supervision

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/registry"
)

//go:embed structure.json
var structureJSON []byte

// Structure is the embedded transcription of the plan's organisation: units, work items, 附件1 and 附件2.
type Structure struct {
	Title   string    `json:"title"`
	Seed    string    `json:"seed"`
	Region  string    `json:"region"`
	Start   string    `json:"start"`
	Horizon string    `json:"horizon"`
	Units   []unitDef `json:"units"`
	Items   []itemDef `json:"items"`
	Majors  []itemDef `json:"majors"`
	Tasks   []taskDef `json:"tasks"`
}

type unitDef struct {
	Name    string   `json:"name"`
	OrgName string   `json:"org_name"`
	Kind    string   `json:"kind"`
	Aliases []string `json:"aliases"`
	Note    string   `json:"note"`
}

type itemDef struct {
	No        int      `json:"no"`
	Section   string   `json:"section"`
	Category  string   `json:"category"`
	Title     string   `json:"title"`
	Lead      []string `json:"lead"`
	Coop      []string `json:"coop"`
	Townships bool     `json:"townships"`
	CoopEtc   bool     `json:"coop_etc"`
	KPIs      []string `json:"kpis"`
	Targets   string   `json:"targets"`
	Note      string   `json:"note"`
}

type taskDef struct {
	No        int      `json:"no"`
	Area      string   `json:"area"`
	Matter    string   `json:"matter"`
	Text      string   `json:"text"`
	Lead      []string `json:"lead"`
	Coop      []string `json:"coop"`
	Townships bool     `json:"townships"`
	CoopEtc   bool     `json:"coop_etc"`
	KPI       string   `json:"kpi"`
	Target    float64  `json:"target"`
	Due       string   `json:"due"`
	Note      string   `json:"note"`
}

// LoadStructure parses the embedded structure and checks that every unit a row names is defined.
func LoadStructure() (Structure, error) {
	var st Structure
	if err := json.Unmarshal(structureJSON, &st); err != nil {
		return st, fmt.Errorf("structure.json: %w", err)
	}
	known := map[string]bool{}
	for _, u := range st.Units {
		if known[u.Name] {
			return st, fmt.Errorf("structure.json: duplicate unit %s", u.Name)
		}
		known[u.Name] = true
	}
	check := func(where string, names []string) error {
		for _, n := range names {
			if !known[n] {
				return fmt.Errorf("structure.json: %s names unknown unit %q", where, n)
			}
		}
		return nil
	}
	for _, it := range append(append([]itemDef{}, st.Items...), st.Majors...) {
		if err := check(fmt.Sprintf("item %d", it.No), append(append([]string{}, it.Lead...), it.Coop...)); err != nil {
			return st, err
		}
	}
	for _, t := range st.Tasks {
		if err := check(fmt.Sprintf("task %d", t.No), append(append([]string{}, t.Lead...), t.Coop...)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Circled is the ①–⑳ mark of n.
func Circled(n int) string {
	if n >= 1 && n <= 20 {
		return string(rune('①' + n - 1))
	}
	return fmt.Sprint(n)
}

// Init loads the embedded structure at first start (tables empty) in one transaction with one audit record; once
// loaded, edits made in the UI are kept. When the register already holds subjects, the units are also registered
// as organisations (the demo loader needs an empty register, so on a fresh database that happens in SeedDemo or
// from the units page).
func (s *Service) Init(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_tasks`).Scan(&n); err != nil {
		return fmt.Errorf("supervision init: %w", err)
	}
	if n == 0 {
		st, err := LoadStructure()
		if err != nil {
			return err
		}
		if err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.loadStructure(ctx, tx, st) }); err != nil {
			return err
		}
	}
	var subjects, unlinked int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_units WHERE subject_id = 0`).Scan(&unlinked); err != nil {
		return err
	}
	if unlinked == 0 || s.subjects == nil {
		return nil
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&subjects); err != nil {
		return nil // the register is not this room's: without it, units stay unregistered
	}
	if subjects == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { _, err := s.SyncUnitsTx(ctx, tx, nil); return err })
}

func (s *Service) loadStructure(ctx context.Context, tx *db.Tx, st Structure) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	ids := map[string]int64{}
	for i, u := range st.Units {
		id := tx.NextID()
		ids[u.Name] = id
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_units (id, name, org_name, kind, aliases, note, sort, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, u.Name, u.OrgName, u.Kind, strings.Join(u.Aliases, "|"), u.Note, i+1, now, now); err != nil {
			return fmt.Errorf("insert unit %s: %w", u.Name, err)
		}
	}
	link := func(kind string, owner int64, lead, coop []string) error {
		for role, names := range map[string][]string{"lead": lead, "coop": coop} {
			for i, n := range names {
				if _, err := tx.ExecContext(ctx, `INSERT INTO sup_links (owner_kind, owner_id, unit_id, role, sort) VALUES (?, ?, ?, ?, ?)`, kind, owner, ids[n], role, i); err != nil {
					return fmt.Errorf("link %s %d %s: %w", kind, owner, n, err)
				}
			}
		}
		return nil
	}
	for kind, items := range map[string][]itemDef{"work": st.Items, "major": st.Majors} {
		for _, it := range items {
			id := tx.NextID()
			cat := it.Section
			if kind == "major" {
				cat = it.Category
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO sup_items (id, kind, no, category, title, targets, kpis, townships, coop_etc, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, kind, it.No, cat, it.Title, it.Targets, strings.Join(it.KPIs, ","), it.Townships, it.CoopEtc, it.Note); err != nil {
				return fmt.Errorf("insert item %s %d: %w", kind, it.No, err)
			}
			if err := link(kind, id, it.Lead, it.Coop); err != nil {
				return err
			}
		}
	}
	for _, t := range st.Tasks {
		id := tx.NextID()
		due := t.Due
		if due == "" {
			due = st.Horizon
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sup_tasks (id, no, area, matter, text, kpi_key, target, start_on, due_on, townships, coop_etc, note, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, t.No, t.Area, t.Matter, t.Text, t.KPI, t.Target, st.Start, due, t.Townships, t.CoopEtc, t.Note, now); err != nil {
			return fmt.Errorf("insert task %d: %w", t.No, err)
		}
		if err := link("task", id, t.Lead, t.Coop); err != nil {
			return err
		}
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "create", Entity: "supervision_plan",
		Summary: fmt.Sprintf("载入工作方案结构：%d 个单位、%d 项重点工作、附件1 %d 项、附件2 %d 项重点任务", len(st.Units), len(st.Items), len(st.Majors), len(st.Tasks)),
		After:   map[string]any{"units": len(st.Units), "items": len(st.Items), "majors": len(st.Majors), "tasks": len(st.Tasks), "seed": st.Seed}})
}

// SyncUnitsTx registers every unit without a subject as an organisation in the register, idempotent by name: a
// subject with the unit's full name (or short name) and kind is reused; otherwise one is created at the county
// seat. It returns how many units were newly linked.
func (s *Service) SyncUnitsTx(ctx context.Context, tx *db.Tx, p *auth.Principal) (int, error) {
	if p != nil && !p.Is(auth.Taskforce, auth.CountyAdmin) {
		return 0, apperr.New(apperr.Forbidden, "只有工作专班或县级管理员可以登记单位")
	}
	st, err := LoadStructure()
	if err != nil {
		return 0, err
	}
	seat := s.seatTownship(st.Region)
	if seat == "" {
		return 0, apperr.New(apperr.Invalid, "找不到方案所在县的乡镇（街道），无法登记单位")
	}
	units, err := s.scanUnits(ctx, tx, `WHERE subject_id = 0`)
	if err != nil {
		return 0, err
	}
	linked := 0
	for _, u := range units {
		id, err := s.findOrg(ctx, tx, u)
		if err != nil {
			return linked, err
		}
		if id == 0 {
			name, kind, note := u.OrgName, u.Kind, "“三位一体”改革工作方案中的责任/配合单位："+u.Name
			if name == "" {
				name = u.Name
			}
			// created as the system: the units are the plan's, not the caller's township
			x, err := s.subjects.CreateTx(ctx, tx, nil, registry.SubjectInput{Kind: &kind, Name: &name, RegionCode: &seat, Note: &note})
			if err != nil {
				return linked, fmt.Errorf("register unit %s: %w", u.Name, err)
			}
			id = x.ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sup_units SET subject_id = ?, updated_at = ? WHERE id = ?`, id, s.now().UTC(), u.ID); err != nil {
			return linked, err
		}
		linked++
	}
	if linked > 0 {
		err = audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "supervision_unit",
			Summary: fmt.Sprintf("将 %d 个方案单位关联到主体名录", linked), After: map[string]any{"linked": linked}})
	}
	return linked, err
}

// findOrg looks a unit up in the register by exact name (full or short) and kind. It reads the subjects table
// inside tx because the register's reader pool cannot see rows of the demo transaction (the documented seeding
// exception); only id, name and kind are read.
func (s *Service) findOrg(ctx context.Context, tx *db.Tx, u Unit) (int64, error) {
	names := []string{u.OrgName, u.Name}
	for _, n := range names {
		if n == "" {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM subjects WHERE name = ? AND kind = ? ORDER BY id LIMIT 1`, n, u.Kind).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("find unit %s: %w", u.Name, err)
		}
	}
	return 0, nil
}

// seatTownship is the county seat's township (高唐街道 for 巫山县), or the county's first township.
func (s *Service) seatTownship(county string) string {
	kids := s.regions.Children(county)
	for _, k := range kids {
		if strings.HasSuffix(k.Name, "高唐街道") {
			return k.Code
		}
	}
	if len(kids) > 0 {
		return kids[0].Code
	}
	return ""
}

func (s *Service) scanUnits(ctx context.Context, q db.Querier, where string, args ...any) ([]Unit, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, org_name, kind, aliases, note, subject_id FROM sup_units `+where+` ORDER BY sort, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		var aliases string
		if err := rows.Scan(&u.ID, &u.Name, &u.OrgName, &u.Kind, &aliases, &u.Note, &u.SubjectID); err != nil {
			return nil, err
		}
		if aliases != "" {
			u.Aliases = strings.Split(aliases, "|")
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Units lists the plan's units with their linked accounts and task counts.
func (s *Service) Units(ctx context.Context, p *auth.Principal) ([]Unit, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	units, err := s.scanUnits(ctx, s.db, "")
	if err != nil {
		return nil, err
	}
	users, err := s.unitUsers(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[int64][2]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT unit_id, role, COUNT(*) FROM sup_links WHERE owner_kind = 'task' GROUP BY unit_id, role`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role string
		var n int
		if err := rows.Scan(&id, &role, &n); err != nil {
			return nil, err
		}
		c := counts[id]
		if role == "lead" {
			c[0] = n
		} else {
			c[1] = n
		}
		counts[id] = c
	}
	for i := range units {
		units[i].Users = users[units[i].ID]
		units[i].Tasks, units[i].CoopTasks = counts[units[i].ID][0], counts[units[i].ID][1]
	}
	return units, rows.Err()
}

func (s *Service) unitUsers(ctx context.Context) (map[int64][]UserRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT unit_id, user_id FROM sup_unit_users ORDER BY unit_id, user_id`)
	if err != nil {
		return nil, fmt.Errorf("unit users: %w", err)
	}
	defer rows.Close()
	links := map[int64][]int64{}
	for rows.Next() {
		var u, id int64
		if err := rows.Scan(&u, &id); err != nil {
			return nil, err
		}
		links[u] = append(links[u], id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[int64][]UserRef{}
	if len(links) == 0 || s.users == nil {
		return out, nil
	}
	all, err := s.users.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]auth.User{}
	for _, u := range all {
		byID[u.ID] = u
	}
	for unit, ids := range links {
		for _, id := range ids {
			u := byID[id]
			out[unit] = append(out[unit], UserRef{ID: id, Username: u.Username, Name: u.DisplayName, Role: u.Role.Label()})
		}
	}
	return out, nil
}

// LinkUser binds an account (县级部门 or 县级管理员) to a unit: that account then files the unit's reports and
// answers its notices.
func (s *Service) LinkUser(ctx context.Context, p *auth.Principal, unitID int64, username string, link bool) error {
	if err := canEditPlan(p); err != nil {
		return err
	}
	if s.users == nil {
		return apperr.New(apperr.Invalid, "账号服务不可用")
	}
	all, err := s.users.ListUsers(ctx)
	if err != nil {
		return err
	}
	var user *auth.User
	for i := range all {
		if all[i].Username == strings.TrimSpace(username) {
			user = &all[i]
		}
	}
	if user == nil {
		return apperr.FieldErrors(map[string]string{"username": "找不到该用户名"})
	}
	if link && user.Role != auth.Department && user.Role != auth.CountyAdmin {
		return apperr.FieldErrors(map[string]string{"username": "只能绑定“县级部门”或“县级管理员”角色的账号"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		u, err := s.unitTx(ctx, tx, unitID)
		if err != nil {
			return err
		}
		var res sql.Result
		if link {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_unit_users WHERE unit_id = ? AND user_id = ?`, unitID, user.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.New(apperr.Conflict, "该账号已绑定本单位")
			}
			res, err = tx.ExecContext(ctx, `INSERT INTO sup_unit_users (unit_id, user_id) VALUES (?, ?)`, unitID, user.ID)
		} else {
			res, err = tx.ExecContext(ctx, `DELETE FROM sup_unit_users WHERE unit_id = ? AND user_id = ?`, unitID, user.ID)
		}
		if err != nil {
			return fmt.Errorf("link user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.NotFound, "该账号未绑定本单位")
		}
		action, verb := "link", "绑定"
		if !link {
			action, verb = "unlink", "解除绑定"
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: action, Entity: "supervision_unit", EntityID: unitID,
			Summary: fmt.Sprintf("%s账号 %s 与单位 %s", verb, user.Username, u.Name), After: map[string]any{"user_id": user.ID, "unit_id": unitID}})
	})
}

// LinkUserTx binds a user id to a unit by name inside tx (demo seeding); it is a no-op when already bound.
func (s *Service) LinkUserTx(ctx context.Context, tx *db.Tx, unitName string, userID int64) error {
	var unitID int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM sup_units WHERE name = ?`, unitName).Scan(&unitID); err != nil {
		return fmt.Errorf("unit %s: %w", unitName, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sup_unit_users WHERE unit_id = ? AND user_id = ?`, unitID, userID).Scan(&n); err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sup_unit_users (unit_id, user_id) VALUES (?, ?)`, unitID, userID); err != nil {
		return err
	}
	return audit.Write(ctx, tx, audit.Entry{Actor: audit.System, Action: "link", Entity: "supervision_unit", EntityID: unitID,
		Summary: fmt.Sprintf("绑定账号 %d 与单位 %s", userID, unitName)})
}

func (s *Service) unitTx(ctx context.Context, q db.Querier, id int64) (Unit, error) {
	us, err := s.scanUnits(ctx, q, `WHERE id = ?`, id)
	if err != nil {
		return Unit{}, err
	}
	if len(us) == 0 {
		return Unit{}, apperr.New(apperr.NotFound, "单位不存在")
	}
	return us[0], nil
}

// myUnits returns the ids of the units p acts for: accounts linked on the units page, or the unit whose register
// subject is p's own subject.
func (s *Service) myUnits(ctx context.Context, q db.Querier, p *auth.Principal) (map[int64]bool, error) {
	out := map[int64]bool{}
	if p == nil || !p.Is(auth.Department, auth.CountyAdmin) {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT unit_id FROM sup_unit_users WHERE user_id = ?
		UNION SELECT id FROM sup_units WHERE subject_id <> 0 AND subject_id = ?`, p.UserID, p.SubjectID)
	if err != nil {
		return nil, fmt.Errorf("my units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// links returns owner id → role → units for one owner kind.
func (s *Service) links(ctx context.Context, q db.Querier, kind string) (map[int64]map[string][]UnitRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.owner_id, l.role, u.id, u.name FROM sup_links l JOIN sup_units u ON u.id = l.unit_id
		WHERE l.owner_kind = ? ORDER BY l.owner_id, l.role, l.sort`, kind)
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string][]UnitRef{}
	for rows.Next() {
		var owner int64
		var role string
		var u UnitRef
		if err := rows.Scan(&owner, &role, &u.ID, &u.Name); err != nil {
			return nil, err
		}
		if out[owner] == nil {
			out[owner] = map[string][]UnitRef{}
		}
		out[owner][role] = append(out[owner][role], u)
	}
	return out, rows.Err()
}

// Items lists the 18 work items (kind "work") or the 附件1 rows (kind "major").
func (s *Service) Items(ctx context.Context, p *auth.Principal, kind string) ([]Item, error) {
	if err := canRead(p); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, no, category, title, targets, kpis, townships, coop_etc, note FROM sup_items WHERE kind = ? ORDER BY no`, kind)
	if err != nil {
		return nil, fmt.Errorf("items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var kpis string
		if err := rows.Scan(&it.ID, &it.Kind, &it.No, &it.Category, &it.Title, &it.Targets, &kpis, &it.Townships, &it.CoopEtc, &it.Note); err != nil {
			return nil, err
		}
		if kpis != "" {
			it.KPIs = strings.Split(kpis, ",")
		}
		it.Mark = Circled(it.No)
		if it.Kind == "major" {
			it.Mark = fmt.Sprint(it.No)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	links, err := s.links(ctx, s.db, kind)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Lead, out[i].Coop = links[out[i].ID]["lead"], links[out[i].ID]["coop"]
	}
	return out, nil
}

// UnitNames joins unit names with 、.
func UnitNames(us []UnitRef) string {
	n := make([]string, len(us))
	for i, u := range us {
		n[i] = u.Name
	}
	return strings.Join(n, "、")
}

func sortedKeys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
