package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// SquareMetresPerMu is the area of one 亩.
const SquareMetresPerMu = 10000.0 / 15

// PolygonArea parses a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection in WGS84 longitude/latitude
// and returns its area in 亩 and its centroid. Rings are projected onto a local plane around the polygon (good to
// well under 1 % at plot scale) and holes are subtracted.
func PolygonArea(geojson string) (mu float64, lng, lat float64, err error) {
	var g geo
	if err := json.Unmarshal([]byte(geojson), &g); err != nil {
		return 0, 0, 0, fmt.Errorf("GeoJSON 格式错误：%w", err)
	}
	polys, err := g.polygons()
	if err != nil {
		return 0, 0, 0, err
	}
	if len(polys) == 0 {
		return 0, 0, 0, errors.New("GeoJSON 中没有多边形")
	}
	var n int
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			return 0, 0, 0, errors.New("多边形每个环至少需要4个点（首尾相同）")
		}
		for _, pt := range p[0] {
			lng += pt[0]
			lat += pt[1]
			n++
		}
	}
	lng, lat = lng/float64(n), lat/float64(n)
	if lng < -180 || lng > 180 || lat < -90 || lat > 90 {
		return 0, 0, 0, errors.New("坐标应为经度、纬度（WGS84）")
	}
	const r = 6371008.8
	kx := math.Pi / 180 * r * math.Cos(lat*math.Pi/180)
	ky := math.Pi / 180 * r
	var total float64
	for _, p := range polys {
		for i, ring := range p {
			if len(ring) < 4 {
				return 0, 0, 0, errors.New("多边形每个环至少需要4个点（首尾相同）")
			}
			a := 0.0
			for j := 0; j+1 < len(ring); j++ {
				x1, y1 := (ring[j][0]-lng)*kx, (ring[j][1]-lat)*ky
				x2, y2 := (ring[j+1][0]-lng)*kx, (ring[j+1][1]-lat)*ky
				a += x1*y2 - x2*y1
			}
			a = math.Abs(a) / 2
			if i == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return total / SquareMetresPerMu, lng, lat, nil
}

type geo struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
	Geometry    *geo            `json:"geometry"`
	Features    []geo           `json:"features"`
}

func (g geo) polygons() ([][][][2]float64, error) {
	switch g.Type {
	case "Feature":
		if g.Geometry == nil {
			return nil, errors.New("Feature 缺少 geometry")
		}
		return g.Geometry.polygons()
	case "FeatureCollection":
		var out [][][][2]float64
		for _, f := range g.Features {
			p, err := f.polygons()
			if err != nil {
				return nil, err
			}
			out = append(out, p...)
		}
		return out, nil
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("Polygon 坐标格式错误：%w", err)
		}
		return [][][][2]float64{p}, nil
	case "MultiPolygon":
		var mp [][][][2]float64
		if err := json.Unmarshal(g.Coordinates, &mp); err != nil {
			return nil, fmt.Errorf("MultiPolygon 坐标格式错误：%w", err)
		}
		return mp, nil
	}
	return nil, fmt.Errorf("不支持的 GeoJSON 类型：%q（应为 Polygon、MultiPolygon 或 Feature）", g.Type)
}
