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
	Code       string     `json:"code"` // GSO code or another stable code; unique
	Name       string     `json:"name"`
	Level      string     `json:"level"`       // e.g. "province", "district", "commune"
	ParentCode string     `json:"parent_code"` // "" for a root
	ValidFrom  *time.Time `json:"valid_from"`
	ValidTo    *time.Time `json:"valid_to"` // nil: still valid
	// Census counts when known (0 when unknown).
	Population int `json:"population"`
	Households int `json:"households"`
	// Environment for the coverage model: urban, suburban, rural, mountain
	// ("" lets the model decide from population density).
	Environment string           `json:"environment"`
	Geom        orb.MultiPolygon `json:"geom"` // SRID 4326, lon/lat; may be empty for a parent
	// PriorityTags are the programme's priority area classes (AreaTag*):
	// mountainous, coastal ("bãi ngang, ven biển"), under lockdown. They
	// apply to the area and every unit below it; sorted, each once.
	PriorityTags []string `json:"priority_tags,omitempty"`
}

// Priority area tags (Area.PriorityTags): the allocation weighs the needs
// of a tagged area by the setting area_weights.
const (
	AreaTagMountain = "mountain" // miền núi
	AreaTagCoastal  = "coastal"  // bãi ngang, ven biển
	AreaTagLockdown = "lockdown" // phong tỏa, cách ly
)

// AreaTags lists the priority area tags in their fixed order.
func AreaTags() []string { return []string{AreaTagMountain, AreaTagCoastal, AreaTagLockdown} }

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
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Level    string  `json:"level"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	AreaCode string  `json:"area_code"`
	Students int     `json:"students"`
	Internet string  `json:"internet"`
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
	ID        string  `json:"id"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	AreaCode  string  `json:"area_code"`
	Precision string  `json:"precision"`
	Poverty   string  `json:"poverty"`
	Members   int     `json:"members"`
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
	ID          string `json:"id"`
	HouseholdID string `json:"household_id"`
	SchoolID    string `json:"school_id"`
	Grade       int    `json:"grade"`
	Priority    int    `json:"priority"` // 0..3
	HasDevice   bool   `json:"has_device"`
	// CovidOrphan: a parent died of COVID-19 (mồ côi do COVID-19), what
	// tier 3 requires; hardship ("khó khăn") alone is not tier 3.
	CovidOrphan bool `json:"covid_orphan"`
	// FullName and BirthDate (YYYY-MM-DD) are optional and internal to the
	// education office: printed on handover lists and used to catch the
	// same child under two ids; never shown to operators, viewers or the
	// public. "" when not given.
	FullName  string `json:"full_name,omitempty"`
	BirthDate string `json:"birth_date,omitempty"`
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
	ID             string   `json:"id"` // sector id, unique; defaults to "<site_id>/<n>"
	SiteID         string   `json:"site_id"`
	Operator       string   `json:"operator"`
	Technology     string   `json:"technology"`
	BandMHz        int      `json:"band_mhz"`
	Lat            float64  `json:"lat"`
	Lon            float64  `json:"lon"`
	AntennaHeightM float64  `json:"antenna_height_m"`
	AzimuthDeg     *float64 `json:"azimuth_deg"`   // nil: omni
	BeamwidthDeg   float64  `json:"beamwidth_deg"` // used when AzimuthDeg != nil
	RangeM         float64  `json:"range_m"`       // 0: use the model
	Status         string   `json:"status"`
}

// Omni reports whether the sector radiates in all directions.
func (s *Sector) Omni() bool { return s.AzimuthDeg == nil }

// FiberNode is a fiber access node (POP, splitter, cabinet).
type FiberNode struct {
	ID       string  `json:"id"`
	Operator string  `json:"operator"`
	Kind     string  `json:"kind"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
}

// FiberRoute is one fiber cable route.
type FiberRoute struct {
	ID       string         `json:"id"`
	Operator string         `json:"operator"`
	Line     orb.LineString `json:"line"` // lon/lat
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
	ID        string  `json:"id"`
	Donor     string  `json:"donor"`
	Type      string  `json:"type"`
	OS        string  `json:"os"` // android, ios, windows, linux, macos, chromeos
	OSVersion string  `json:"os_version"`
	CPUGHz    float64 `json:"cpu_ghz"`
	// CPUModel is the processor model as written ("Intel Celeron N4020");
	// "" when not recorded. Laptops and desktops: its class is checked.
	CPUModel      string  `json:"cpu_model"`
	RAMGB         float64 `json:"ram_gb"`
	StorageGB     float64 `json:"storage_gb"`
	FreeStorageGB float64 `json:"free_storage_gb"`
	// Conditions: stated yes/no, or unknown (null) when the file does not
	// state them; a required unknown condition sends the device to inspection.
	HasCharger Cond `json:"has_charger"`
	AVOK       Cond `json:"av_ok"` // speaker, mic, camera/webcam work
	ScreenOK   Cond `json:"screen_ok"`
	KeyboardOK Cond `json:"keyboard_ok"`
	HasMonitor Cond `json:"has_monitor"` // desktop: monitor, mouse, keyboard, headset present
	WiFi       Cond `json:"wifi"`        // desktop: Wi-Fi adapter present
	// Recommended extras (seed 004 "khuyến khích"): never required, a
	// device without them (or not stated) passes with a warning.
	Headphones Cond   `json:"headphones"` // phone/tablet: headphones included
	BatteryOK  Cond   `json:"battery_ok"` // laptop: the battery still holds a charge
	Serial     string `json:"serial"`
	IMEI       string `json:"imei"`
	AreaCode   string `json:"area_code"` // where it is held ("" = province stock)
	// SchoolID: the school holding it ("hiện vật do các cơ sở giáo dục tiếp
	// nhận trực tiếp thì được để lại tại đơn vị"); "" when an area holds it.
	// It serves that school's own students first; AreaCode is then the
	// school's area or empty.
	SchoolID string `json:"school_id,omitempty"`
	// ReceivedOn is the day the device was received ("ngày tiếp nhận");
	// nil when not recorded.
	ReceivedOn *time.Time `json:"received_on,omitempty"`
}

// SimPackage is a stock of SIM-data packages of one operator.
type SimPackage struct {
	ID       string  `json:"id"`
	Operator string  `json:"operator"`
	GBPerDay float64 `json:"gb_per_day"`
	Months   int     `json:"months"`
	Quantity int     `json:"quantity"`
	AreaCode string  `json:"area_code"` // where it is held ("" = province stock)
	// SchoolID: the school holding the package (see Device.SchoolID).
	SchoolID string `json:"school_id,omitempty"`
	// Donor is the name of the package's donor ("" when not recorded).
	Donor string `json:"donor,omitempty"`
	// ReceivedOn is the day the package was received; nil when not recorded.
	ReceivedOn *time.Time `json:"received_on,omitempty"`
}

// Donor is a giver of devices or SIM packages.
type Donor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"` // organisation, business, individual, union
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
