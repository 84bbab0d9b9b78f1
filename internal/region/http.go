package region

import (
	"embed"
	"net/http"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/audit"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Routes registers the region pages and API.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("region", templatesFS, "templates/*.html")
	srv.AddMenu(web.MenuItem{Group: "基础数据", Label: "行政区划", Path: "/regions", Order: 90})
	srv.Page("GET /regions", s.treePage)
	srv.Page("GET /regions/options", s.optionsPartial)

	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/regions", Summary: "区划列表（可按上级、层级、名称筛选）", Tag: "regions",
		Query: []string{"parent", "level", "q", "page", "per_page"}, Response: web.List[Region]{}},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			pg := web.ParsePage(r, 100, 1000)
			var items []*Region
			switch {
			case q.Get("q") != "":
				items = s.Search(q.Get("q"), 100000)
			case q.Get("parent") != "":
				items = s.Children(q.Get("parent"))
			case q.Get("level") != "":
				items = s.ofLevel(q.Get("level"))
			default:
				s.mu.RLock()
				for _, r := range s.byCode {
					items = append(items, r)
				}
				s.mu.RUnlock()
				sortRegions(items)
			}
			if lv := q.Get("level"); lv != "" && (q.Get("q") != "" || q.Get("parent") != "") {
				var f []*Region
				for _, r := range items {
					if r.Level == lv {
						f = append(f, r)
					}
				}
				items = f
			}
			total := len(items)
			from, to := pg.Bounds(total)
			out := make([]Region, 0, to-from)
			for _, r := range items[from:to] {
				out = append(out, *r)
			}
			web.WriteJSON(w, http.StatusOK, web.List[Region]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	type regionDetail struct {
		Region
		Children []*Region `json:"children"`
	}
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/regions/{code}", Summary: "区划详情及下级", Tag: "regions", Response: regionDetail{}},
		func(w http.ResponseWriter, r *http.Request) error {
			reg, ok := s.Get(r.PathValue("code"))
			if !ok {
				return apperr.New(apperr.NotFound, "区划不存在")
			}
			web.WriteJSON(w, http.StatusOK, regionDetail{Region: *reg, Children: s.Children(reg.Code)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/regions", Summary: "新增区划（如新设村、社区）", Tag: "regions", Request: RegionInput{}, Response: Region{}, Status: 201, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in RegionInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			reg, err := s.Create(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, reg)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/regions/{code}", Summary: "修改区划名称或坐标", Tag: "regions", Request: RegionInput{}, Response: Region{}, Roles: "county_admin, sysadmin"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in RegionInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			in.Code = r.PathValue("code")
			reg, err := s.Update(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, reg)
			return nil
		})
}

func sortRegions(items []*Region) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].Code < items[j-1].Code; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// RegionInput creates or renames a region.
type RegionInput struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Level string  `json:"level"`
	Lng   float64 `json:"lng"`
	Lat   float64 `json:"lat"`
}

func canEdit(p *auth.Principal) error {
	if !p.Is(auth.CountyAdmin, auth.Sysadmin) {
		return apperr.New(apperr.Forbidden, "只有县级管理员可以维护行政区划")
	}
	return nil
}

// Create adds a township or village under an existing parent.
func (s *Service) Create(ctx contextT, p *auth.Principal, in RegionInput) (Region, error) {
	if err := canEdit(p); err != nil {
		return Region{}, err
	}
	fields := map[string]string{}
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if len(in.Code) != 12 || strings.Trim(in.Code, "0123456789") != "" {
		fields["code"] = "区划代码应为12位数字"
	} else if _, ok := s.Get(in.Code); ok {
		return Region{}, &apperr.Error{Code: apperr.Conflict, Message: "区划代码已存在：" + in.Code, Fields: map[string]string{"code": "区划代码已存在"}}
	} else if _, ok := s.Get(Parent(in.Code)); !ok {
		fields["code"] = "上级区划不存在"
	}
	if in.Name == "" {
		fields["name"] = "请填写名称"
	}
	if in.Level != LevelTownship && in.Level != LevelVillage {
		fields["level"] = "层级应为 township 或 village"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return Region{}, err
	}
	reg := Region{Code: in.Code, Name: in.Name, Level: in.Level, ParentCode: Parent(in.Code), Lng: in.Lng, Lat: in.Lat}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO regions (code, name, level, parent_code, lng, lat) VALUES (?, ?, ?, ?, ?, ?)`,
			reg.Code, reg.Name, reg.Level, reg.ParentCode, reg.Lng, reg.Lat); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "create", Entity: "region", EntityID: codeID(reg.Code), Summary: "新增区划 " + reg.Name, After: reg})
	})
	if err != nil {
		return Region{}, err
	}
	if err := s.Load(ctx); err != nil {
		return Region{}, err
	}
	got, _ := s.Get(reg.Code)
	return *got, nil
}

// Update renames a region or moves its coordinates.
func (s *Service) Update(ctx contextT, p *auth.Principal, in RegionInput) (Region, error) {
	if err := canEdit(p); err != nil {
		return Region{}, err
	}
	old, ok := s.Get(in.Code)
	if !ok {
		return Region{}, apperr.New(apperr.NotFound, "区划不存在")
	}
	if strings.TrimSpace(in.Name) == "" {
		return Region{}, apperr.FieldErrors(map[string]string{"name": "请填写名称"})
	}
	before := *old
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE regions SET name = ?, lng = ?, lat = ? WHERE code = ?`, strings.TrimSpace(in.Name), in.Lng, in.Lat, in.Code); err != nil {
			return err
		}
		return audit.Write(ctx, tx, audit.Entry{Actor: p.Actor(), Action: "update", Entity: "region", EntityID: codeID(in.Code), Summary: "修改区划 " + in.Name, Before: before, After: in})
	})
	if err != nil {
		return Region{}, err
	}
	if err := s.Load(ctx); err != nil {
		return Region{}, err
	}
	got, _ := s.Get(in.Code)
	return *got, nil
}

func codeID(code string) int64 {
	var n int64
	for _, c := range code {
		n = n*10 + int64(c-'0')
	}
	return n
}

// homeCounty is the county the tree page opens on: the one of the user's first scope, else the first county
// (with several counties loaded, the code order would otherwise open everyone on 万州区).
func (s *Service) homeCounty(p *auth.Principal) string {
	if p != nil && len(p.Scopes) > 0 && len(p.Scopes[0]) == 12 {
		if c, ok := s.Get(County(p.Scopes[0]) + "000000"); ok && c.Level == LevelCounty {
			return c.Code
		}
	}
	if c := s.Counties(); len(c) > 0 {
		return c[0].Code
	}
	return ""
}

func (s *Service) treePage(w http.ResponseWriter, r *http.Request) error {
	root := r.URL.Query().Get("code")
	if root == "" {
		root = s.homeCounty(web.Principal(r))
	}
	reg, ok := s.Get(root)
	if !ok {
		return apperr.New(apperr.NotFound, "区划不存在")
	}
	type kid struct {
		*Region
		Subjects int
	}
	type node struct {
		*Region
		Kids     []kid
		Subjects int
	}
	counts := map[string]int{}
	if s.Counter != nil {
		c, err := s.Counter(r.Context(), web.Principal(r), auth.RegionPrefix(reg.Code))
		if err != nil {
			return err
		}
		counts = c
	}
	var nodes []node
	towns := 0
	villages := 0
	total := 0
	for _, t := range s.Children(reg.Code) {
		n := node{Region: t, Subjects: counts[t.Code]}
		for _, v := range s.Children(t.Code) {
			n.Kids = append(n.Kids, kid{Region: v, Subjects: counts[v.Code]})
			n.Subjects += counts[v.Code]
		}
		total += n.Subjects
		nodes = append(nodes, n)
		towns++
		villages += len(n.Kids)
	}
	var jie, zhen, xiang int
	for _, n := range nodes {
		switch {
		case strings.HasSuffix(n.Name, "街道"):
			jie++
		case strings.HasSuffix(n.Name, "镇"):
			zhen++
		case strings.HasSuffix(n.Name, "乡"):
			xiang++
		}
	}
	return srvRender(w, r, "region/tree.html", map[string]any{"Root": reg, "Path": s.Ancestors(reg.Code), "Nodes": nodes,
		"Towns": towns, "Villages": villages, "Jie": jie, "Zhen": zhen, "Xiang": xiang, "Total": total, "Counted": s.Counter != nil})
}

// optionsPartial returns <option>s of the children of parent, for cascading selects.
func (s *Service) optionsPartial(w http.ResponseWriter, r *http.Request) error {
	parent := r.URL.Query().Get("parent")
	if parent == "" {
		parent = r.URL.Query().Get("township")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString(`<option value="">（请选择村/社区）</option>`)
	for _, c := range s.Children(parent) {
		b.WriteString(`<option value="` + c.Code + `">` + htmlEscape(c.Name) + `</option>`)
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
