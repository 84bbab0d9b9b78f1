package reform

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/indicator"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// The 产业数字化地图 (⑱): the county's townships (schematic outlines from seat coordinates, shipped with the
// binary: the region table carries every seat) with layers of points — subjects by type and industry, plots,
// bases, centers, outlets and stations — filtered by industry and region. Layers other than bases come from other
// rooms through MapLayer, wired by the app; every layer reads with the caller's principal.

// MapPoint is one thing on the map.
type MapPoint struct {
	Layer      string  `json:"layer"`
	Name       string  `json:"name"`
	Kind       string  `json:"kind" doc:"类型（中文）"`
	Industry   string  `json:"industry"`
	RegionCode string  `json:"region_code"`
	Lng        float64 `json:"lng"`
	Lat        float64 `json:"lat"`
	Link       string  `json:"link"`
}

// MapLayer is a layer of the map from a room.
type MapLayer interface {
	Key() string
	Name() string
	Colour() string
	Points(ctx context.Context, p *auth.Principal, regionPrefix, industry string) ([]MapPoint, error)
}

// MaxLayerPoints caps a layer's points on one map (a township's households would hide everything else).
const MaxLayerPoints = 3000

// baseLayer is the room's own layer.
type baseLayer struct{ s *Service }

func (baseLayer) Key() string    { return "bases" }
func (baseLayer) Name() string   { return "数字农业基地" }
func (baseLayer) Colour() string { return "#c62828" }
func (l baseLayer) Points(ctx context.Context, p *auth.Principal, prefix, industry string) ([]MapPoint, error) {
	bases, err := l.s.ListBases(ctx, BaseFilter{RegionPrefix: prefix, Industry: industry})
	if err != nil {
		return nil, err
	}
	var out []MapPoint
	for _, b := range bases {
		if b.Status == "closed" {
			continue
		}
		out = append(out, MapPoint{Layer: "bases", Name: b.Name, Kind: b.TypeLabel + "·" + b.LevelLabel + "·" + b.StatusLabel, Industry: b.Industry,
			RegionCode: b.RegionCode, Lng: b.Lng, Lat: b.Lat, Link: fmt.Sprintf("/digital-map/bases/%d", b.ID)})
	}
	return out, nil
}

func (s *Service) layers() []MapLayer { return append([]MapLayer{baseLayer{s: s}}, s.Layers...) }

// MapData is the map of a region with the chosen layers.
type MapData struct {
	Region     string         `json:"region"`
	RegionName string         `json:"region_name"`
	Outline    []MapCell      `json:"outline"`
	Layers     []LayerSummary `json:"layers"`
	Points     []MapPoint     `json:"points"`
}

// LayerSummary tells a layer's count on the map.
type LayerSummary struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Colour  string `json:"colour"`
	Shown   bool   `json:"shown"`
	Count   int    `json:"count"`
	Clipped bool   `json:"clipped" doc:"超过上限只显示前 3000 个"`
}

// Map computes the map of a region (a county shows its townships; a township its villages) with the chosen
// layers (empty: every layer) and industry.
func (s *Service) Map(ctx context.Context, p *auth.Principal, regionCode string, layers []string, industry string) (MapData, error) {
	code, err := s.Region(p, regionCode)
	if err != nil {
		return MapData{}, err
	}
	md := MapData{Region: code, RegionName: s.regions.Name(code)}
	parent := code
	if reg, _ := s.regions.Get(code); reg.Level == "village" {
		parent = reg.ParentCode
	}
	if o, ok := s.outline(parent); ok {
		md.Outline = o.mapCells()
	}
	prefix := indicator.Prefix(code)
	for _, l := range s.layers() {
		ls := LayerSummary{Key: l.Key(), Name: l.Name(), Colour: l.Colour(), Shown: len(layers) == 0 || slices.Contains(layers, l.Key())}
		if ls.Shown {
			pts, err := l.Points(ctx, p, prefix, industry)
			if err != nil {
				return md, fmt.Errorf("layer %s: %w", l.Key(), err)
			}
			ls.Count = len(pts)
			if len(pts) > MaxLayerPoints {
				pts, ls.Clipped = pts[:MaxLayerPoints], true
			}
			md.Points = append(md.Points, pts...)
		}
		md.Layers = append(md.Layers, ls)
	}
	if md.Points == nil {
		md.Points = []MapPoint{}
	}
	return md, nil
}

func (s *Service) mapRoutes(srv *web.Server) {
	srv.AddMenu(web.MenuItem{Group: "改革督办", Label: "产业数字化地图", Path: "/digital-map", Order: 72, Roles: append(pageRoles, readTownship...)})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/map", Summary: "产业数字化地图：区划示意轮廓与图层点位（主体、地块、基地、中心、网点、站点）", Tag: "map",
		Query: []string{"region", "layer", "industry"}, Response: MapData{}, Roles: readRolesDoc},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			md, err := s.Map(r.Context(), web.Principal(r), q.Get("region"), q["layer"], q.Get("industry"))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, md)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/digital-bases", Summary: "数字农业基地名录", Tag: "map",
		Query: []string{"region", "type", "level", "status", "industry"}, Response: web.List[Base]{}, Roles: readRolesDoc},
		func(w http.ResponseWriter, r *http.Request) error {
			q := r.URL.Query()
			code, err := s.Region(web.Principal(r), q.Get("region"))
			if err != nil {
				return err
			}
			bs, err := s.ListBases(r.Context(), BaseFilter{RegionPrefix: indicator.Prefix(code), Type: q.Get("type"), Level: q.Get("level"), Status: q.Get("status"), Industry: q.Get("industry")})
			if err != nil {
				return err
			}
			if bs == nil {
				bs = []Base{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[Base]{Items: bs, Total: len(bs), Page: 1, PerPage: len(bs)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/digital-bases", Summary: "登记数字农业基地", Tag: "map", Request: BaseInput{}, Response: Base{}, Status: 201,
		Roles: "county_admin, taskforce, department"},
		func(w http.ResponseWriter, r *http.Request) error {
			var in BaseInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			b, err := s.CreateBase(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, b)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/digital-bases/{id}", Summary: "修改数字农业基地", Tag: "map", Request: BaseInput{}, Response: Base{},
		Roles: "county_admin, taskforce, department"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in BaseInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			b, err := s.UpdateBase(r.Context(), web.Principal(r), id, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, b)
			return nil
		})
	srv.Page("GET /digital-map", s.mapPage)
	srv.Page("POST /digital-map/bases", s.basePost)
	srv.Page("GET /digital-map/bases/{id}", s.basePage)
	srv.Page("POST /digital-map/bases/{id}", s.basePost)
}

func (s *Service) mapPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderMap(w, r, http.StatusOK, nil, BaseInput{})
}

func (s *Service) renderMap(w http.ResponseWriter, r *http.Request, status int, ferr error, in BaseInput) error {
	p := web.Principal(r)
	if err := indicator.CanRead(p); err != nil {
		return err
	}
	q := r.URL.Query()
	md, err := s.Map(r.Context(), p, q.Get("region"), q["layer"], q.Get("industry"))
	if err != nil {
		return err
	}
	parent := md.Region
	if reg, _ := s.regions.Get(md.Region); reg.Level == "village" {
		parent = reg.ParentCode
	}
	o, _ := s.outline(parent)
	colours := map[string]string{}
	for _, l := range md.Layers {
		colours[l.Key] = l.Colour
	}
	svg := digitalSVG(md, o, colours)
	bases, err := s.ListBases(r.Context(), BaseFilter{RegionPrefix: indicator.Prefix(md.Region), Industry: q.Get("industry")})
	if err != nil {
		return err
	}
	var towns []*struct{ Code, Name string }
	if reg, _ := s.regions.Get(md.Region); reg.Level == "county" || reg.Level == "township" {
		county := md.Region
		if reg.Level == "township" {
			county = reg.ParentCode
		}
		for _, t := range s.regions.Children(county) {
			if len(p.Scopes) == 0 || p.InRegion(t.Code) {
				towns = append(towns, &struct{ Code, Name string }{t.Code, t.Name})
			}
		}
	}
	data := map[string]any{"M": md, "SVG": svg, "Bases": bases, "Towns": towns, "Industries": industriesOf(md.Points, bases),
		"Types": BaseTypes, "Levels": BaseLevels, "Statuses": BaseStatuses, "CanEdit": canEditBases(p) == nil, "In": in, "Fields": apperr.FieldsOf(ferr),
		"Crumbs": s.crumbs(p, md.Region)}
	if ferr != nil {
		data["Error"] = apperr.MessageOf(ferr)
	}
	return web.Render(w, r, status, "reform/digitalmap.html", data)
}

func industriesOf(pts []MapPoint, bases []Base) []string {
	set := map[string]bool{}
	for _, p := range pts {
		for _, i := range strings.Split(p.Industry, "、") {
			if i != "" {
				set[i] = true
			}
		}
	}
	for _, b := range bases {
		if b.Industry != "" {
			set[b.Industry] = true
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// digitalSVG draws the outline and the points (bases as larger squares on top).
func digitalSVG(md MapData, o outline, colours map[string]string) template.HTML {
	if len(md.Outline) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="0 0 %.0f %.0f" role="img" aria-label="产业数字化地图">`, md.Outline[0].Box[0], md.Outline[0].Box[1])
	for _, c := range md.Outline {
		var pts []string
		for _, p := range c.Points {
			pts = append(pts, fmt.Sprintf("%d,%d", p[0], p[1]))
		}
		fill := "#f1f5f1"
		if strings.HasPrefix(c.Code, indicator.Prefix(md.Region)) && c.Code != md.Region {
			fill = "#e3efe3"
		}
		fmt.Fprintf(&b, `<a href="/digital-map?region=%s"><polygon points="%s" fill="%s" stroke="#9bb59c" stroke-width="1.5"><title>%s</title></polygon></a>`,
			c.Code, strings.Join(pts, " "), fill, html.EscapeString(c.Name))
	}
	for _, c := range md.Outline {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#66707a" class="map-label">%s</text>`, c.Seat[0], c.Seat[1], html.EscapeString(c.Name))
	}
	for _, layerFirst := range []bool{true, false} {
		for _, p := range md.Points {
			if (p.Layer == "bases") == layerFirst {
				continue
			}
			x, y := o.xy(p.Lng, p.Lat)
			col := colours[p.Layer]
			if p.Layer == "bases" {
				fmt.Fprintf(&b, `<a href="%s"><rect x="%d" y="%d" width="9" height="9" fill="%s" stroke="#fff"><title>%s（%s）</title></rect></a>`,
					html.EscapeString(p.Link), x-4, y-4, col, html.EscapeString(p.Name), html.EscapeString(p.Kind))
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="2.6" fill="%s" fill-opacity=".8" data-layer="%s"><title>%s（%s）</title></circle>`,
				x, y, col, p.Layer, html.EscapeString(p.Name), html.EscapeString(p.Kind))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func formBase(r *http.Request) BaseInput {
	f := r.PostForm
	return BaseInput{Name: f.Get("name"), Type: f.Get("type"), Level: f.Get("level"), Status: f.Get("status"), RegionCode: f.Get("region_code"),
		Industry: f.Get("industry"), Operator: f.Get("operator"), AreaMu: f.Get("area_mu"), EstablishedOn: f.Get("established_on"), Note: f.Get("note")}
}

func (s *Service) basePost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单无法读取")
	}
	in := formBase(r)
	p := web.Principal(r)
	var b Base
	var err error
	if r.PathValue("id") != "" {
		id, perr := web.PathID(r, "id")
		if perr != nil {
			return perr
		}
		b, err = s.UpdateBase(r.Context(), p, id, in)
	} else {
		b, err = s.CreateBase(r.Context(), p, in)
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.Invalid {
			if r.PathValue("id") != "" {
				return s.renderBase(w, r, http.StatusUnprocessableEntity, err, &in)
			}
			return s.renderMap(w, r, http.StatusUnprocessableEntity, err, in)
		}
		return err
	}
	web.Flash(w, "已保存基地："+b.Name)
	web.Redirect(w, r, fmt.Sprintf("/digital-map/bases/%d", b.ID))
	return nil
}

func (s *Service) basePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderBase(w, r, http.StatusOK, nil, nil)
}

func (s *Service) renderBase(w http.ResponseWriter, r *http.Request, status int, ferr error, in *BaseInput) error {
	p := web.Principal(r)
	if err := indicator.CanRead(p); err != nil {
		return err
	}
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	b, err := s.GetBase(r.Context(), p, id)
	if err != nil {
		return err
	}
	if in == nil {
		in = &BaseInput{Name: b.Name, Type: b.Type, Level: b.Level, Status: b.Status, RegionCode: b.RegionCode, Industry: b.Industry, Operator: b.Operator,
			AreaMu: fmt.Sprint(b.AreaMu), EstablishedOn: b.EstablishedOn, Note: b.Note}
	}
	data := map[string]any{"B": b, "In": in, "Types": BaseTypes, "Levels": BaseLevels, "Statuses": BaseStatuses, "CanEdit": canEditBases(p) == nil,
		"Fields": apperr.FieldsOf(ferr), "Regions": s.townChoices(p, b.RegionCode)}
	if ferr != nil {
		data["Error"] = apperr.MessageOf(ferr)
	}
	return web.Render(w, r, status, "reform/base.html", data)
}

// townChoices are the townships of a region's county in the caller's scope.
func (s *Service) townChoices(p *auth.Principal, near string) []RegionRef {
	var out []RegionRef
	county := near
	for _, a := range s.regions.Ancestors(near) {
		if a.Level == "county" {
			county = a.Code
		}
	}
	for _, t := range s.regions.Children(county) {
		if len(p.Scopes) == 0 || p.InRegion(t.Code) {
			out = append(out, RegionRef{Code: t.Code, Name: t.Name})
		}
	}
	return out
}
