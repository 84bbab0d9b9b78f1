package vrp

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxReaderNodes bounds the size of instances the readers accept (a guard against absurd inputs).
const maxReaderNodes = 200000

// ReadTSPLIB reads a CVRP instance in TSPLIB format (CVRPLIB): NAME, CAPACITY, optional VEHICLES, EDGE_WEIGHT_TYPE
// EUC_2D (distances rounded to the nearest integer), NODE_COORD_SECTION, DEMAND_SECTION, DEPOT_SECTION. Node.ID is
// the file's node number; the first depot listed is used.
func ReadTSPLIB(r io.Reader) (*Problem, error) {
	p := &Problem{Rounding: RoundNearest}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	dim := -1
	section := ""
	index := map[int]int{} // file node number → index in Nodes
	demands := map[int]int64{}
	depot := -1
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		upper := strings.ToUpper(line)
		if upper == "EOF" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !isNumberStart(line) {
			key := strings.ToUpper(strings.TrimSpace(k))
			val := strings.Trim(strings.TrimSpace(v), "\"")
			section = ""
			switch key {
			case "NAME":
				p.Name = val
			case "TYPE":
				if t := strings.ToUpper(val); t != "CVRP" && t != "VRP" {
					return nil, fmt.Errorf("line %d: unsupported TYPE %q", lineNo, val)
				}
			case "DIMENSION":
				d, err := strconv.Atoi(val)
				if err != nil || d < 2 || d > maxReaderNodes {
					return nil, fmt.Errorf("line %d: bad DIMENSION %q", lineNo, val)
				}
				dim = d
			case "CAPACITY":
				c, err := strconv.ParseInt(val, 10, 64)
				if err != nil || c <= 0 {
					return nil, fmt.Errorf("line %d: bad CAPACITY %q", lineNo, val)
				}
				p.Capacity = c
			case "VEHICLES":
				v, err := strconv.Atoi(val)
				if err != nil || v < 0 {
					return nil, fmt.Errorf("line %d: bad VEHICLES %q", lineNo, val)
				}
				p.Vehicles = v
			case "EDGE_WEIGHT_TYPE":
				if t := strings.ToUpper(val); t != "EUC_2D" {
					return nil, fmt.Errorf("line %d: unsupported EDGE_WEIGHT_TYPE %q (only EUC_2D)", lineNo, val)
				}
			}
			continue
		}
		f := strings.Fields(line)
		switch w := strings.ToUpper(f[0]); {
		case strings.HasSuffix(w, "_SECTION"):
			section = w
			continue
		}
		switch section {
		case "NODE_COORD_SECTION":
			if len(f) < 3 {
				return nil, fmt.Errorf("line %d: want \"id x y\"", lineNo)
			}
			id, err1 := strconv.Atoi(f[0])
			x, err2 := parseFinite(f[1])
			y, err3 := parseFinite(f[2])
			if err1 != nil || err2 != nil || err3 != nil {
				return nil, fmt.Errorf("line %d: bad coordinates %q", lineNo, line)
			}
			if _, dup := index[id]; dup {
				return nil, fmt.Errorf("line %d: node %d listed twice", lineNo, id)
			}
			if len(p.Nodes) >= maxReaderNodes {
				return nil, fmt.Errorf("line %d: too many nodes", lineNo)
			}
			index[id] = len(p.Nodes)
			p.Nodes = append(p.Nodes, Node{ID: id, X: x, Y: y})
		case "DEMAND_SECTION":
			if len(f) < 2 {
				return nil, fmt.Errorf("line %d: want \"id demand\"", lineNo)
			}
			id, err1 := strconv.Atoi(f[0])
			d, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 != nil || err2 != nil || d < 0 {
				return nil, fmt.Errorf("line %d: bad demand %q", lineNo, line)
			}
			demands[id] = d
		case "DEPOT_SECTION":
			id, err := strconv.Atoi(f[0])
			if err != nil {
				return nil, fmt.Errorf("line %d: bad depot %q", lineNo, line)
			}
			if id > 0 && depot < 0 {
				depot = id
			}
		case "":
			return nil, fmt.Errorf("line %d: unexpected %q", lineNo, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(p.Nodes) < 2 {
		return nil, fmt.Errorf("NODE_COORD_SECTION: need a depot and at least one customer")
	}
	if dim >= 0 && dim != len(p.Nodes) {
		return nil, fmt.Errorf("DIMENSION %d but %d nodes", dim, len(p.Nodes))
	}
	if p.Capacity <= 0 {
		return nil, fmt.Errorf("CAPACITY missing")
	}
	for id, d := range demands {
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("DEMAND_SECTION: unknown node %d", id)
		}
		p.Nodes[i].Demand = d
	}
	if depot < 0 {
		depot = p.Nodes[0].ID
	}
	di, ok := index[depot]
	if !ok {
		return nil, fmt.Errorf("DEPOT_SECTION: unknown node %d", depot)
	}
	p.Depot = di
	p.Nodes[di].Demand = 0
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

func isNumberStart(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9' || s[0] == '-' || s[0] == '+' || s[0] == '.')
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e12 {
		return 0, fmt.Errorf("value out of range: %s", s)
	}
	return v, nil
}

// ReadSolomon reads a VRPTW instance in Solomon's text format: the name, a VEHICLE block (NUMBER CAPACITY), and a
// CUSTOMER table of lines "number x y demand ready due service" whose first row is the depot. Distances are exact
// Euclidean (RoundNone); Node.ID is the customer number in the file; the fleet is limited to NUMBER vehicles.
func ReadSolomon(r io.Reader) (*Problem, error) {
	p := &Problem{Rounding: RoundNone}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	lineNo := 0
	wantVehicle := false
	seen := map[int]bool{}
	for sc.Scan() {
		lineNo++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if p.Name == "" && lineNo == 1 && len(f) == 1 {
			p.Name = f[0]
			continue
		}
		if strings.EqualFold(f[0], "NUMBER") {
			wantVehicle = true
			continue
		}
		if wantVehicle {
			wantVehicle = false
			if len(f) < 2 {
				return nil, fmt.Errorf("line %d: want \"vehicles capacity\"", lineNo)
			}
			v, err1 := strconv.Atoi(f[0])
			c, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 != nil || err2 != nil || v < 0 || c <= 0 {
				return nil, fmt.Errorf("line %d: bad vehicle line", lineNo)
			}
			p.Vehicles, p.Capacity = v, c
			continue
		}
		if len(f) != 7 || !isNumberStart(f[0]) {
			continue // headings
		}
		var v [7]float64
		for i, s := range f {
			x, err := parseFinite(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad number %q", lineNo, s)
			}
			v[i] = x
		}
		id := int(v[0])
		if float64(id) != v[0] || id < 0 || v[3] != math.Trunc(v[3]) || v[3] < 0 || v[6] < 0 {
			return nil, fmt.Errorf("line %d: bad customer line", lineNo)
		}
		if seen[id] {
			return nil, fmt.Errorf("line %d: customer %d listed twice", lineNo, id)
		}
		if len(p.Nodes) >= maxReaderNodes {
			return nil, fmt.Errorf("line %d: too many customers", lineNo)
		}
		seen[id] = true
		p.Nodes = append(p.Nodes, Node{ID: id, X: v[1], Y: v[2], Demand: int64(v[3]), Ready: v[4], Due: v[5], Service: v[6]})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if p.Capacity <= 0 {
		return nil, fmt.Errorf("VEHICLE block (NUMBER CAPACITY) missing")
	}
	if len(p.Nodes) < 2 {
		return nil, fmt.Errorf("CUSTOMER table: need a depot and at least one customer")
	}
	p.Depot = 0
	p.Nodes[0].Demand = 0
	// a Solomon window [0, 0] would mean "no deadline" in this model; make it explicit instead
	for i := range p.Nodes {
		if p.Nodes[i].Due <= 0 {
			return nil, fmt.Errorf("customer %d: due time must be positive", p.Nodes[i].ID)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}
