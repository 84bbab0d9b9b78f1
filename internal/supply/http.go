package supply

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

//go:embed templates/*.html
var templatesFS embed.FS

// Routes registers the room's pages, API, menu items and home-page counts.
func (s *Service) Routes(srv *web.Server) {
	srv.Pages.AddFS("supply", templatesFS, "templates/*.html")
	srv.AddMenu(web.MenuItem{Group: "双向流通", Label: "流通网点与库存", Path: "/supply", Order: 50, Roles: readerRoles},
		web.MenuItem{Group: "双向流通", Label: "商品目录", Path: "/supply/goods", Order: 51, Roles: readerRoles})
	srv.AddStats(s.homeStats)
	srv.Page("GET /supply", s.listPage)
	srv.Page("GET /supply/nodes/{id}", s.nodePage)
	srv.Page("POST /supply/nodes/{id}/moves", s.movePost)
	srv.Page("POST /supply/nodes/{id}/edit", s.nodeEditPost)
	srv.Page("GET /supply/goods", s.goodsPage)
	srv.Page("POST /supply/goods", s.goodsPost)
	s.apiRoutes(srv)
	s.flowRoutes(srv)
	s.flowPages(srv)
}

func (s *Service) homeStats(ctx context.Context, p *auth.Principal) ([]web.Stat, error) {
	if !p.Is(scopeRoles...) {
		return nil, nil
	}
	counts, err := s.Counts(ctx, p)
	if err != nil {
		return nil, err
	}
	var all, outlets, stations int
	for _, c := range counts {
		all += c.Active
		switch c.Kind {
		case KindOutlet:
			outlets += c.Active
		case KindStation:
			stations += c.Active
		}
	}
	return []web.Stat{{Label: "运营中的流通网点与物流节点", Value: web.FormatInt(all),
		Hint: fmt.Sprintf("其中流通网点 %s 个，一站式村级服务站 %s 个", web.FormatInt(outlets), web.FormatInt(stations)), Link: "/supply", Order: 50}}, nil
}

type option struct{ Value, Label string }

func kindOptions() []option {
	out := make([]option, 0, len(NodeKinds))
	for _, k := range NodeKinds {
		out = append(out, option{k, NodeKindLabel(k)})
	}
	return out
}

// townshipOptions lists the townships p may see (for the filter).
func (s *Service) townshipOptions(p *auth.Principal) []option {
	var out []option
	for _, t := range s.regions.Townships() {
		if p.Is(scopeRoles...) && (p.InRegion(t.Code) || inAnyCounty(p, t.Code)) {
			out = append(out, option{t.Code, t.Name})
		}
	}
	return out
}

func inAnyCounty(p *auth.Principal, code string) bool {
	for _, pre := range p.ScopePrefixes() {
		if strings.HasPrefix(code, pre) {
			return true
		}
	}
	return false
}

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	if !p.Is(readerRoles...) {
		return apperr.New(apperr.Forbidden, "您的角色不能查看流通网点")
	}
	pg := web.ParsePage(r, 50, 200)
	q := r.URL.Query()
	items, total, err := s.ListNodes(r.Context(), p, NodeFilter{Kind: q.Get("kind"), Township: q.Get("township"), Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
	if err != nil {
		return err
	}
	counts, err := s.Counts(r.Context(), p)
	if err != nil {
		return err
	}
	byKind := map[string]int{}
	for _, c := range counts {
		byKind[c.Kind] += c.Active
	}
	var summary []map[string]string
	for _, k := range NodeKinds {
		if byKind[k] > 0 {
			summary = append(summary, map[string]string{"Kind": k, "Label": NodeKindLabel(k), "N": web.FormatInt(byKind[k])})
		}
	}
	return web.Render(w, r, http.StatusOK, "supply/nodes.html", map[string]any{"Items": items, "Total": total, "Page": pg.Page, "Pages": pg.Pages(total),
		"Kinds": kindOptions(), "Townships": s.townshipOptions(p), "Summary": summary, "Counts": counts})
}

// moveForm is the move form as typed.
type moveForm struct {
	Kind, GoodsID, Qty, ToNodeID, Date, Ref, Note string
	Form                                          string // "edit" when the node's edit form was refused
}

func (s *Service) nodePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNode(w, r, http.StatusOK, nil, moveForm{Kind: MoveReceipt})
}

func (s *Service) renderNode(w http.ResponseWriter, r *http.Request, status int, formErr error, in moveForm) error {
	p := web.Principal(r)
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := s.GetNode(r.Context(), p, id)
	if err != nil {
		return err
	}
	moves, total, err := s.ListMoves(r.Context(), p, MoveFilter{NodeID: n.ID, PerPage: 30})
	if err != nil {
		return err
	}
	lines := make([]map[string]any, 0, len(moves))
	for _, m := range moves {
		lines = append(lines, map[string]any{"M": m, "Qty": FormatQty(m.Qty, m.Decimals) + " " + m.Unit})
	}
	data := map[string]any{"N": n, "Moves": lines, "MoveTotal": total, "CanWrite": canWrite(p, n) == nil && n.Status != NodeClosed,
		"In": in, "Fields": map[string]string{}, "Today": s.today(), "CanEdit": canWrite(p, n) == nil, "Functions": functionOptions(n),
		"MoveKinds": []option{{MoveReceipt, "入库"}, {MoveIssue, "销售/发放"}, {"transfer", "调拨出库"}, {MoveLoss, "损耗"}, {MoveStocktake, "盘点（填实盘数）"}}}
	if formErr != nil {
		data["Error"] = apperr.MessageOf(formErr)
		if f := apperr.FieldsOf(formErr); f != nil {
			data["Fields"] = f
		}
	}
	if data["CanWrite"] == true {
		goods, err := s.ListGoods(r.Context(), p, GoodsFilter{})
		if err != nil {
			return err
		}
		var gopts []option
		for _, g := range goods {
			label := g.CategoryLabel + " · " + goodsText(g) + "（" + g.Unit + "）"
			gopts = append(gopts, option{strconv.FormatInt(g.ID, 10), label})
		}
		data["Goods"] = gopts
		targets, _, err := s.ListNodes(r.Context(), p, NodeFilter{Status: NodeActive, PerPage: 500})
		if err != nil {
			return err
		}
		var topts []option
		for _, t := range targets {
			if t.ID != n.ID && canWrite(p, t) == nil {
				topts = append(topts, option{strconv.FormatInt(t.ID, 10), t.Name + "（" + t.KindLabel + "）"})
			}
		}
		data["Targets"] = topts
	}
	return web.Render(w, r, status, "supply/node.html", data)
}

func (s *Service) movePost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f := r.PostForm
	in := moveForm{Kind: f.Get("kind"), GoodsID: f.Get("goods_id"), Qty: f.Get("qty"), ToNodeID: f.Get("to_node_id"), Date: f.Get("date"),
		Ref: f.Get("ref"), Note: f.Get("note")}
	fail := func(err error) error {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderNode(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	mi := MoveInput{Kind: in.Kind, NodeID: id, Date: in.Date, Ref: in.Ref, Note: in.Note}
	gid, err := strconv.ParseInt(strings.TrimSpace(in.GoodsID), 10, 64)
	if err != nil {
		return fail(apperr.FieldErrors(map[string]string{"goods_id": "请选择商品"}))
	}
	mi.GoodsID = gid
	if mi.Kind == "transfer" {
		if mi.ToNodeID, err = strconv.ParseInt(strings.TrimSpace(in.ToNodeID), 10, 64); err != nil {
			return fail(apperr.FieldErrors(map[string]string{"to_node_id": "请选择调入网点"}))
		}
	}
	g, err := s.loadGoods(r.Context(), s.db, gid)
	if err != nil {
		return fail(apperr.FieldErrors(map[string]string{"goods_id": "商品不存在"}))
	}
	if mi.Qty, err = ParseQty(in.Qty, g.Decimals); err != nil {
		return fail(apperr.FieldErrors(map[string]string{"qty": err.Error()}))
	}
	moves, err := s.Move(r.Context(), web.Principal(r), mi)
	if err != nil {
		return fail(err)
	}
	web.Flash(w, MoveKindLabel(mi.Kind)+"已登记："+moves[0].GoodsName+" "+FormatQty(abs(moves[0].Qty), g.Decimals)+" "+g.Unit)
	web.Redirect(w, r, fmt.Sprintf("/supply/nodes/%d", id))
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func (s *Service) goodsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderGoods(w, r, http.StatusOK, nil, GoodsInput{})
}

func categoryOptions() []option {
	var out []option
	for _, c := range append(append([]string{}, InputCategories...), DailyCategories...) {
		prefix := "日用品 · "
		if CategoryGroup(c) == "inputs" {
			prefix = "农资 · "
		}
		out = append(out, option{c, prefix + CategoryLabel(c)})
	}
	return out
}

func (s *Service) renderGoods(w http.ResponseWriter, r *http.Request, status int, formErr error, in GoodsInput) error {
	p := web.Principal(r)
	q := r.URL.Query()
	list, err := s.ListGoods(r.Context(), p, GoodsFilter{Group: q.Get("group"), Category: q.Get("category"), Q: q.Get("q")})
	if err != nil {
		return err
	}
	data := map[string]any{"Items": list, "Categories": categoryOptions(), "CanCreate": canWriteGoods(p) == nil, "In": in, "Fields": map[string]string{}}
	if formErr != nil {
		data["Error"] = apperr.MessageOf(formErr)
		if f := apperr.FieldsOf(formErr); f != nil {
			data["Fields"] = f
		}
	}
	return web.Render(w, r, status, "supply/goods.html", data)
}

func (s *Service) goodsPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	f := r.PostForm
	in := GoodsInput{Category: f.Get("category"), Name: f.Get("name"), Spec: f.Get("spec"), Unit: f.Get("unit"), RegNo: f.Get("reg_no")}
	in.Decimals, _ = strconv.Atoi(strings.TrimSpace(f.Get("decimals")))
	g, err := s.CreateGoods(r.Context(), web.Principal(r), in)
	if err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderGoods(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, "已加入商品目录："+g.Name)
	web.Redirect(w, r, "/supply/goods?"+url.Values{"category": {g.Category}}.Encode())
	return nil
}

type fnOption struct {
	Value, Label string
	Checked      bool
}

func functionOptions(n *Node) []fnOption {
	var out []fnOption
	for _, f := range StationFunctions {
		c := false
		for _, x := range n.Functions {
			c = c || x == f
		}
		out = append(out, fnOption{f, FunctionLabel(f), c})
	}
	return out
}

// nodeEditPost changes a node's name, status, functions, operator, address and note (kind and place through the
// API or an import).
func (s *Service) nodeEditPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	p := web.Principal(r)
	n, err := s.GetNode(r.Context(), p, id)
	if err != nil {
		return err
	}
	f := r.PostForm
	in := NodeInput{Kind: n.Kind, Name: f.Get("name"), RegionCode: n.RegionCode, Functions: f["functions"], Address: f.Get("address"), Status: f.Get("status"),
		Note: f.Get("note")}
	if v := strings.TrimSpace(f.Get("operator_id")); v != "" {
		if in.OperatorID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return s.renderNode(w, r, http.StatusUnprocessableEntity, apperr.FieldErrors(map[string]string{"operator_id": "运营主体编号须为数字"}), moveForm{Kind: MoveReceipt, Form: "edit"})
		}
	}
	if _, err := s.UpdateNode(r.Context(), p, id, in); err != nil {
		if c := apperr.CodeOf(err); c == apperr.Invalid || c == apperr.Conflict {
			return s.renderNode(w, r, http.StatusUnprocessableEntity, err, moveForm{Kind: MoveReceipt, Form: "edit"})
		}
		return err
	}
	web.Flash(w, "网点信息已保存")
	web.Redirect(w, r, fmt.Sprintf("/supply/nodes/%d", id))
	return nil
}
