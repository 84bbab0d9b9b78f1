// Package track reads a machine's GPS work record — a GPX file (tracks, routes or waypoints) or GeoJSON
// (LineString, MultiLineString, Polygon, MultiPolygon, Feature, FeatureCollection) — and measures the worked area.
//
// Method: when the upload holds a polygon (the worked field's outline), the worked area is the polygon's area;
// otherwise it is the track's length × the implement's working width (作业幅宽), the usual way agricultural
// machinery terminals count 作业面积. Both are computed on a local equirectangular projection around the track's
// mean latitude, which is exact to well under 0.1 % at field scale (a few km).
package track

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
)

// Point is a WGS-84 position in degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Track is a parsed upload: polylines (the machine's path) and polygons (outer rings of worked areas).
type Track struct {
	Format   string    // "gpx" or "geojson"
	Lines    [][]Point // each with ≥ 2 points
	Polygons [][]Point // outer rings, each with ≥ 3 distinct points
}

// Limits keep a hostile upload from exhausting memory.
const (
	MaxBytes  = 8 << 20
	MaxPoints = 200000
)

// MuPerM2 converts square metres into 亩 (1 亩 = 10000/15 m²).
const MuPerM2 = 15.0 / 10000

// Errors are Chinese: they are shown to the provider who uploaded the file.
var (
	ErrEmpty   = errors.New("轨迹文件为空")
	ErrFormat  = errors.New("无法识别的轨迹文件：请上传 GPX 或 GeoJSON")
	ErrTooBig  = errors.New("轨迹文件过大（上限 8 MB、20 万个点）")
	ErrNoTrack = errors.New("轨迹文件中没有轨迹线或地块多边形")
)

// Parse reads GPX or GeoJSON, detected by content.
func Parse(data []byte) (*Track, error) {
	if len(data) > MaxBytes {
		return nil, ErrTooBig
	}
	b := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return nil, ErrEmpty
	}
	var t *Track
	var err error
	switch b[0] {
	case '<':
		t, err = parseGPX(b)
	case '{':
		t, err = parseGeoJSON(b)
	default:
		return nil, ErrFormat
	}
	if err != nil {
		return nil, err
	}
	if len(t.Lines) == 0 && len(t.Polygons) == 0 {
		return nil, ErrNoTrack
	}
	return t, nil
}

func valid(p Point) bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

type gpxPt struct {
	Lat float64 `xml:"lat,attr"`
	Lon float64 `xml:"lon,attr"`
}

type gpxDoc struct {
	XMLName xml.Name `xml:"gpx"`
	Trk     []struct {
		Seg []struct {
			Pts []gpxPt `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
	Rte []struct {
		Pts []gpxPt `xml:"rtept"`
	} `xml:"rte"`
	Wpt []gpxPt `xml:"wpt"`
}

func parseGPX(b []byte) (*Track, error) {
	var doc gpxDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("GPX 文件格式错误：%w", err)
	}
	t := &Track{Format: "gpx"}
	n := 0
	add := func(pts []gpxPt) error {
		n += len(pts)
		if n > MaxPoints {
			return ErrTooBig
		}
		line := make([]Point, 0, len(pts))
		for i, p := range pts {
			q := Point{Lat: p.Lat, Lon: p.Lon}
			if !valid(q) {
				return fmt.Errorf("GPX 第 %d 个点坐标无效", i+1)
			}
			line = append(line, q)
		}
		if len(line) >= 2 {
			t.Lines = append(t.Lines, line)
		}
		return nil
	}
	for _, trk := range doc.Trk {
		for _, seg := range trk.Seg {
			if err := add(seg.Pts); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range doc.Rte {
		if err := add(r.Pts); err != nil {
			return nil, err
		}
	}
	if len(t.Lines) == 0 && len(doc.Wpt) >= 2 {
		if err := add(doc.Wpt); err != nil {
			return nil, err
		}
	}
	return t, nil
}

type geoObj struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometry    *geoObj         `json:"geometry"`
	Features    []geoObj        `json:"features"`
	Geometries  []geoObj        `json:"geometries"`
}

func parseGeoJSON(b []byte) (*Track, error) {
	var o geoObj
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("GeoJSON 格式错误：%w", err)
	}
	t := &Track{Format: "geojson"}
	n := 0
	if err := t.addGeo(&o, 0, &n); err != nil {
		return nil, err
	}
	return t, nil
}

func toPoints(c [][]float64, n *int) ([]Point, error) {
	*n += len(c)
	if *n > MaxPoints {
		return nil, ErrTooBig
	}
	out := make([]Point, 0, len(c))
	for i, xy := range c {
		if len(xy) < 2 {
			return nil, fmt.Errorf("GeoJSON 第 %d 个坐标不完整", i+1)
		}
		p := Point{Lon: xy[0], Lat: xy[1]}
		if !valid(p) {
			return nil, fmt.Errorf("GeoJSON 第 %d 个坐标无效", i+1)
		}
		out = append(out, p)
	}
	return out, nil
}

func (t *Track) addRing(ring []Point) {
	if len(ring) >= 2 && ring[0] == ring[len(ring)-1] {
		ring = ring[:len(ring)-1]
	}
	if len(ring) >= 3 {
		t.Polygons = append(t.Polygons, ring)
	}
}

func (t *Track) addGeo(o *geoObj, depth int, n *int) error {
	if depth > 8 {
		return ErrFormat
	}
	bad := func() error { return fmt.Errorf("GeoJSON %s 的坐标格式错误", o.Type) }
	switch o.Type {
	case "FeatureCollection":
		for i := range o.Features {
			if err := t.addGeo(&o.Features[i], depth+1, n); err != nil {
				return err
			}
		}
	case "Feature":
		if o.Geometry != nil {
			return t.addGeo(o.Geometry, depth+1, n)
		}
	case "GeometryCollection":
		for i := range o.Geometries {
			if err := t.addGeo(&o.Geometries[i], depth+1, n); err != nil {
				return err
			}
		}
	case "LineString":
		var c [][]float64
		if json.Unmarshal(o.Coordinates, &c) != nil {
			return bad()
		}
		pts, err := toPoints(c, n)
		if err != nil {
			return err
		}
		if len(pts) >= 2 {
			t.Lines = append(t.Lines, pts)
		}
	case "MultiLineString":
		var c [][][]float64
		if json.Unmarshal(o.Coordinates, &c) != nil {
			return bad()
		}
		for _, l := range c {
			pts, err := toPoints(l, n)
			if err != nil {
				return err
			}
			if len(pts) >= 2 {
				t.Lines = append(t.Lines, pts)
			}
		}
	case "Polygon":
		var c [][][]float64
		if json.Unmarshal(o.Coordinates, &c) != nil {
			return bad()
		}
		if len(c) > 0 { // outer ring only: holes in a worked field are not deducted
			pts, err := toPoints(c[0], n)
			if err != nil {
				return err
			}
			t.addRing(pts)
		}
	case "MultiPolygon":
		var c [][][][]float64
		if json.Unmarshal(o.Coordinates, &c) != nil {
			return bad()
		}
		for _, poly := range c {
			if len(poly) > 0 {
				pts, err := toPoints(poly[0], n)
				if err != nil {
					return err
				}
				t.addRing(pts)
			}
		}
	case "Point", "MultiPoint":
		// positions without a path carry no area
	default:
		return ErrFormat
	}
	return nil
}

const earthR = 6371008.8 // mean Earth radius, m

// projector maps degrees to metres around a reference latitude.
type projector struct{ kx, ky float64 }

func newProjector(lat float64) projector {
	rad := math.Pi / 180
	return projector{kx: earthR * rad * math.Cos(lat*rad), ky: earthR * rad}
}

func (t *Track) meanLat() float64 {
	var sum float64
	var n int
	for _, set := range [][][]Point{t.Lines, t.Polygons} {
		for _, l := range set {
			for _, p := range l {
				sum += p.Lat
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// LengthM is the total length of the polylines in metres.
func (t *Track) LengthM() float64 {
	pr := newProjector(t.meanLat())
	var total float64
	for _, l := range t.Lines {
		for i := 1; i < len(l); i++ {
			dx := (l[i].Lon - l[i-1].Lon) * pr.kx
			dy := (l[i].Lat - l[i-1].Lat) * pr.ky
			total += math.Hypot(dx, dy)
		}
	}
	return total
}

// PolygonM2 is the summed area of the polygons in square metres (shoelace formula on the projection).
func (t *Track) PolygonM2() float64 {
	pr := newProjector(t.meanLat())
	var total float64
	for _, ring := range t.Polygons {
		var s float64
		for i := range ring {
			a, b := ring[i], ring[(i+1)%len(ring)]
			s += (a.Lon*pr.kx)*(b.Lat*pr.ky) - (b.Lon*pr.kx)*(a.Lat*pr.ky)
		}
		total += math.Abs(s) / 2
	}
	return total
}

// Measure is a worked area and how it was found.
type Measure struct {
	Method  string  `json:"method" doc:"polygon 多边形面积 / length_x_width 轨迹长度×幅宽"`
	AreaMu  float64 `json:"area_mu"`
	LengthM float64 `json:"length_m"`
	Points  int     `json:"points"`
}

// ErrNoWidth is returned for a path-only track when the implement's working width is unknown.
var ErrNoWidth = errors.New("轨迹只有行驶线，需要农机具作业幅宽才能计算面积")

// Area measures the worked area: polygons when there are any, else length × widthM.
func (t *Track) Area(widthM float64) (Measure, error) {
	m := Measure{LengthM: t.LengthM()}
	for _, set := range [][][]Point{t.Lines, t.Polygons} {
		for _, l := range set {
			m.Points += len(l)
		}
	}
	if len(t.Polygons) > 0 {
		m.Method, m.AreaMu = "polygon", t.PolygonM2()*MuPerM2
		return m, nil
	}
	if widthM <= 0 {
		return m, ErrNoWidth
	}
	m.Method, m.AreaMu = "length_x_width", m.LengthM*widthM*MuPerM2
	return m, nil
}

// GeoJSON renders the track as a FeatureCollection (for storage and the map).
func (t *Track) GeoJSON() string {
	type geom struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}
	type feat struct {
		Type     string         `json:"type"`
		Geometry geom           `json:"geometry"`
		Props    map[string]any `json:"properties"`
	}
	conv := func(l []Point, closeRing bool) [][2]float64 {
		out := make([][2]float64, 0, len(l)+1)
		for _, p := range l {
			out = append(out, [2]float64{p.Lon, p.Lat})
		}
		if closeRing && len(l) > 0 {
			out = append(out, [2]float64{l[0].Lon, l[0].Lat})
		}
		return out
	}
	fc := struct {
		Type     string `json:"type"`
		Features []feat `json:"features"`
	}{Type: "FeatureCollection", Features: []feat{}}
	for _, l := range t.Lines {
		fc.Features = append(fc.Features, feat{"Feature", geom{"LineString", conv(l, false)}, map[string]any{}})
	}
	for _, r := range t.Polygons {
		fc.Features = append(fc.Features, feat{"Feature", geom{"Polygon", [][][2]float64{conv(r, true)}}, map[string]any{}})
	}
	b, _ := json.Marshal(fc)
	return string(b)
}
