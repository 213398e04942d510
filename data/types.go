// Package data holds gapmap's domain types: administrative areas, schools,
// households, students, base-station sectors, fiber, donated devices and
// SIM-data packages. The types carry no database or file code, so the engine
// (coverage, allocation) can use them offline; sub-packages persist them
// (data/postgis), read and write users' files (data/format), import them
// with validation (data/importer) and generate realistic samples (data/gen).
package data

import (
	"time"

	"github.com/paulmach/orb"
)

// Area is one administrative unit at any depth (province, district, commune,
// or the two-tier shape since July 2025). The hierarchy is data: Level is a
// free label and Parent links the tree.
type Area struct {
	Code       string // GSO code or another stable code; unique
	Name       string
	Level      string // e.g. "province", "district", "commune"
	ParentCode string // "" for a root
	ValidFrom  *time.Time
	ValidTo    *time.Time // nil: still valid
	// Census counts when known (0 when unknown).
	Population int
	Households int
	// Environment for the coverage model: urban, suburban, rural, mountain
	// ("" lets the model decide from population density).
	Environment string
	Geom        orb.MultiPolygon // SRID 4326, lon/lat; may be empty for a parent
}

// School levels (cấp học).
const (
	LevelPrimary    = "primary"    // tiểu học
	LevelLower      = "lower"      // trung học cơ sở
	LevelUpper      = "upper"      // trung học phổ thông
	LevelGDNNGDTX   = "gdnn_gdtx"  // trung tâm GDNN-GDTX
	LevelVocational = "vocational" // trung cấp
	LevelCollege    = "college"    // cao đẳng
	LevelUniversity = "university" // đại học
)

// SchoolLevels lists the accepted school levels.
func SchoolLevels() []string {
	return []string{LevelPrimary, LevelLower, LevelUpper, LevelGDNNGDTX, LevelVocational, LevelCollege, LevelUniversity}
}

// Internet access of a school as reported.
const (
	InternetFiber = "fiber"
	InternetADSL  = "adsl"
	Internet4G    = "4g"
	InternetNone  = "none"
)

// School is one school point.
type School struct {
	ID       string
	Name     string
	Level    string
	Lat, Lon float64
	AreaCode string
	Students int
	Internet string
}

// Location precision of a household point.
const (
	PrecisionGPS     = "gps"
	PrecisionVillage = "village"
	PrecisionCommune = "commune"
)

// Poverty status of a household.
const (
	PovertyPoor     = "poor"
	PovertyNearPoor = "near_poor"
	PovertyNone     = "none"
)

// Household is one home with its location. Personal data: never shown to
// operators or the public except aggregated.
type Household struct {
	ID        string
	Lat, Lon  float64
	AreaCode  string
	Precision string
	Poverty   string
	Members   int
}

// Priority tiers (programme rules): 1 poor, 2 near-poor, 3 COVID hardship, 0 none.
const (
	TierNone     = 0
	TierPoor     = 1
	TierNearPoor = 2
	TierCovid    = 3
)

// Student is one pupil, linked to a household (home) and a school.
type Student struct {
	ID          string
	HouseholdID string
	SchoolID    string
	Grade       int
	Priority    int // 0..3
	HasDevice   bool
}

// Technologies of a sector.
const (
	Tech2G = "2G"
	Tech3G = "3G"
	Tech4G = "4G"
	Tech5G = "5G"
)

// Operators, normalised.
const (
	OpViettel      = "viettel"
	OpVinaphone    = "vinaphone"
	OpMobifone     = "mobifone"
	OpVietnamobile = "vietnamobile"
	OpGmobile      = "gmobile"
	OpFPT          = "fpt"
)

// Sector status.
const (
	StatusActive  = "active"
	StatusPlanned = "planned"
)

// Sector is one antenna sector of a base station (one row of sites.csv).
type Sector struct {
	ID             string // sector id, unique; defaults to "<site_id>/<n>"
	SiteID         string
	Operator       string
	Technology     string
	BandMHz        int
	Lat, Lon       float64
	AntennaHeightM float64
	AzimuthDeg     *float64 // nil: omni
	BeamwidthDeg   float64  // used when AzimuthDeg != nil
	RangeM         float64  // 0: use the model
	Status         string
}

// Omni reports whether the sector radiates in all directions.
func (s *Sector) Omni() bool { return s.AzimuthDeg == nil }

// FiberNode is a fiber access node (POP, splitter, cabinet).
type FiberNode struct {
	ID       string
	Operator string
	Kind     string
	Lat, Lon float64
}

// FiberRoute is one fiber cable route.
type FiberRoute struct {
	ID       string
	Operator string
	Line     orb.LineString // lon/lat
}

// Device types.
const (
	DevicePhone   = "phone"
	DeviceTablet  = "tablet"
	DeviceLaptop  = "laptop"
	DeviceDesktop = "desktop"
)

// Device is one donated device as received.
type Device struct {
	ID            string
	Donor         string
	Type          string
	OS            string // android, ios, windows, linux, macos, chromeos
	OSVersion     string
	CPUGHz        float64
	RAMGB         float64
	StorageGB     float64
	FreeStorageGB float64
	HasCharger    bool
	AVOK          bool // speaker, mic, camera/webcam work
	ScreenOK      bool
	KeyboardOK    bool
	HasMonitor    bool // desktop: monitor, mouse, keyboard, headset present
	WiFi          bool // desktop: Wi-Fi adapter present
	Serial        string
	IMEI          string
	AreaCode      string // where it is held ("" = province stock)
}

// SimPackage is a stock of SIM-data packages of one operator.
type SimPackage struct {
	ID       string
	Operator string
	GBPerDay float64
	Months   int
	Quantity int
	AreaCode string // where it is held ("" = province stock)
}

// Donor is a giver of devices or SIM packages.
type Donor struct {
	ID   string
	Name string
	Kind string // organisation, business, individual, union
}

// Dataset is everything the engine reads, in memory.
type Dataset struct {
	Areas       []Area
	Schools     []School
	Households  []Household
	Students    []Student
	Sectors     []Sector
	FiberNodes  []FiberNode
	FiberRoutes []FiberRoute
	Devices     []Device
	SimPackages []SimPackage
	// Operators' own coverage polygons and field measurements (optional):
	// the coverage model uses them to override or confirm the sector model.
	Polygons     []OperatorPolygon
	Measurements []Measurement
}
