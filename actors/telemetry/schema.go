package telemetry

import "time"

// SchemaVersion is the version of the report and manifest schema (SCHEMA.md, schema.json).
// A change that removes or renames a field is a new major version.
const SchemaVersion = "1.0"

// SchemaID names the JSON Schema a report declares in "$schema".
const SchemaID = "https://github.com/licd/licd/actors/telemetry/schema.json"

// Report is one program's data: the manual's data elements that make sense for licd
// ("Citrix Licensing Call Home data elements", "Citrix Licensing CEIP data elements",
// "Citrix License Server Event data elements", "License Server data elements"). Which
// program carries which field is in Fields (and SCHEMA.md); Shape applies it.
type Report struct {
	Schema        string         `json:"$schema"`
	SchemaVersion string         `json:"SchemaVersion"`
	Program       Program        `json:"Program"`
	Metadata      Metadata       `json:"Metadata"`
	LicenseServer ServerInfo     `json:"LicenseServer"`
	Features      []Feature      `json:"Features"`
	StartupCounts []StartupCount `json:"StartupCounts,omitempty"`
	// SupplementalGracePeriod lists the pools in License burst mode.
	SupplementalGracePeriod []BurstPool `json:"SupplementalGracePeriod,omitempty"`
	Events                  []Event     `json:"Events,omitempty"`
}

// Metadata are the report's metadata fields.
type Metadata struct {
	UTCDate              time.Time `json:"UTCDate"`
	Date                 string    `json:"Date"` // local time, "01/02/2006 15:04:05"
	Product              string    `json:"Product"`
	ProductVersion       string    `json:"ProductVersion"`
	ProductUTCDeployDate time.Time `json:"ProductUTCDeployDate"`
	UploadType           string    `json:"UploadType"` // "Auto" or "Manual"
}

// ServerInfo is "License Server and License Usage information": the server itself.
type ServerInfo struct {
	GUID           string    `json:"GUID"`
	ProductVersion string    `json:"ProductVersion"`
	InstallUTC     time.Time `json:"InstallUTC"`
	HardwareId     string    `json:"HardwareId,omitempty"`
	FQDN           string    `json:"FQDN,omitempty"`
	// DateSampleStartUTC and DateSampleStopUTC bound the usage the report covers.
	DateSampleStartUTC time.Time      `json:"DateSampleStartUTC"`
	DateSampleStopUTC  time.Time      `json:"DateSampleStopUTC"`
	Configuration      *Configuration `json:"Configuration,omitempty"`
	Burst              *BurstState    `json:"Burst,omitempty"`
}

// Configuration is the server's deployment and configuration states.
type Configuration struct {
	OS      string `json:"OS"`
	OSArch  string `json:"OSArch"`
	OSBits  int    `json:"OSBits"`
	PortLS  int    `json:"PortLS"`
	PortVD  int    `json:"PortVD"`
	PortWSL int    `json:"PortWSL"`
	// UDUseDomain, OptFileNoLogStatus, UDUserNameCase and UDDeviceNameCase are the options
	// file's settings as the manual numbers them.
	UDUseDomain          int    `json:"UDUseDomain"`
	OptFileNoLogStatus   int    `json:"OptFileNoLogStatus"`
	UDUserNameCase       int    `json:"UDUserNameCase"`
	UDDeviceNameCase     int    `json:"UDDeviceNameCase"`
	SARenewalCheckOption string `json:"SARenewalCheckOption"` // Install, Notify or Manual
	// EncoreSamplingPeriod (minutes), EncoreRetentionTime (days) and EncoreEnabled are the
	// historical usage store's.
	EncoreSamplingPeriod int  `json:"EncoreSamplingPeriod"`
	EncoreRetentionTime  int  `json:"EncoreRetentionTime"`
	EncoreEnabled        bool `json:"EncoreEnabled"`
	// SLSProxy is "1" when uploads go through a proxy, else "0" (never the proxy itself).
	SLSProxy        string `json:"SLSProxy"`
	PrivacySetting  string `json:"PrivacySetting"` // "On": names scrambled; "Off"
	UDUploadEnabled bool   `json:"UDUploadEnabled"`
	SetupCluster    int    `json:"SetupCluster"`
}

// BurstState is License burst mode's server-wide state ("License burst mode").
type BurstState struct {
	// SupplementalGracePeriod is "enabled" or "disabled" (the administrator's switch).
	SupplementalGracePeriod string `json:"SupplementalGracePeriod"`
	SGPClockErrorCode       int    `json:"SGPClockErrorCode"`
	// SGPMaxDays is the most days left of a burst in progress (0 when none is).
	SGPMaxDays int `json:"SGPMaxDays"`
}

// Feature is one product code's usage.
type Feature struct {
	ID      string        `json:"ID"`
	Model   string        `json:"Model"`
	Usage   *FeatureUsage `json:"Usage,omitempty"`
	SADates []SADate      `json:"SADates"`
}

// FeatureUsage is a feature's user/device administration figures.
type FeatureUsage struct {
	UDReportGenerationUTC  time.Time `json:"UDReportGenerationUTC"`
	UDAdminUsersReleased   int64     `json:"UDAdminUsersReleased"`
	UDAdminDevicesReleased int64     `json:"UDAdminDevicesReleased"`
}

// SADate is a feature's usage at one CSS (Subscription Advantage) date.
type SADate struct {
	ID                 string     `json:"ID"` // the CSS date, "2022.1231"
	DateSampleStartUTC time.Time  `json:"DateSampleStartUTC"`
	DateSampleStopUTC  time.Time  `json:"DateSampleStopUTC"`
	CountUsedMax       int        `json:"CountUsedMax"`
	CountInstalled     int        `json:"CountInstalled"`
	Active             int        `json:"Active"`
	Licensees          *Licensees `json:"Licensees,omitempty"`
	// CCUDevices are the devices holding concurrent licenses at the report's time.
	CCUDevices []CCUDevice `json:"CCUDevices,omitempty"`
	Pools      []Pool      `json:"Pools"`
}

// Licensees are the user/device assignments counted at the report's time.
type Licensees struct {
	CountTotal int      `json:"CountTotal"`
	Users      []User   `json:"Users,omitempty"`
	Devices    []Device `json:"Devices,omitempty"`
}

// User is one user holding a user license.
type User struct {
	ID            string    `json:"ID"`
	TimeLastLogin time.Time `json:"timeLastLogin"`
}

// Device is one device holding a device license.
type Device struct {
	Name          string    `json:"Name"`
	TimeLastLogin time.Time `json:"timeLastLogin"`
}

// CCUDevice is one device using a concurrent license.
type CCUDevice struct {
	DevId string `json:"DevId"`
}

// Pool is one license pool of an SADate.
type Pool struct {
	Serial         string   `json:"Serial"`
	DateExpiration string   `json:"DateExpiration"` // "1-dec-2020" or "permanent"
	DateIssued     string   `json:"DateIssued"`
	DateStart      string   `json:"DateStart"`
	VendorStr      string   `json:"VendorStr"`
	CountInstalled int      `json:"CountInstalled"`
	CountOverdraft int      `json:"CountOverdraft"`
	Notice         string   `json:"Notice,omitempty"`
	UsageSamples   []Sample `json:"UsageSamples,omitempty"`
}

// Sample is one historical usage sample of a pool ("Historical Use").
type Sample struct {
	Timestamp  time.Time `json:"Timestamp"`
	CountInUse int       `json:"CountInUse"`
	OverDraft  int       `json:"OverDraft"`
	Installed  int       `json:"Installed"`
}

// StartupCount is the number of connected product servers of one product, edition, model
// and version ("StartupCounts data elements": the LPE).
type StartupCount struct {
	LPE         string `json:"LPE"` // XDT_PLT_2020.1201
	Product     string `json:"Product"`
	Edition     string `json:"Edition"`
	Model       string `json:"Model"`
	VersionDate string `json:"VersionDate"`
	Count       int    `json:"Count"`
}

// BurstPool is a pool in License burst mode ("SupplementalGracePeriod").
type BurstPool struct {
	ID             string    `json:"ID"`
	SADate         string    `json:"SADate"`
	LicCount       int       `json:"LicCount"`
	DateTriggerUTC time.Time `json:"DateTriggerUTC"`
	DateEndUTC     time.Time `json:"DateEndUTC"`
}

// Event is a License Server event: license expiry, renewal, burst mode.
type Event struct {
	Type    string    `json:"type"` // LicenseServer.Inventory, LicenseServer.LicenseExpiry, ...
	St      time.Time `json:"st"`
	Feature string    `json:"Feature,omitempty"`
	SADate  string    `json:"SADate,omitempty"`
	Message string    `json:"Message"`
	Until   time.Time `json:"Until,omitzero"`
}

// Manifest is manifest.json, the first entry of every bundle: what the bundle holds, with
// a SHA-256 of every file ("UI", "FilesUI") so that a receiver can check it arrived whole.
type Manifest struct {
	Schema        string         `json:"$schema"`
	SchemaVersion string         `json:"SchemaVersion"`
	Bundle        string         `json:"Bundle"` // "compliance" or "usage"
	Programs      []Program      `json:"Programs"`
	GUID          string         `json:"GUID"`
	UTCDate       time.Time      `json:"UTCDate"`
	LSVersion     string         `json:"LSVersion"`
	UploadType    string         `json:"UploadType"`
	TotalFiles    int            `json:"TotalFiles"`
	Files         []ManifestFile `json:"Files"`
	FilesUI       string         `json:"FilesUI"`
}

// ManifestFile is one file of a bundle.
type ManifestFile struct {
	Name    string  `json:"Name"`
	Program Program `json:"Program"`
	Size    int64   `json:"Size"`
	UI      string  `json:"UI"` // SHA-256, hex
}
