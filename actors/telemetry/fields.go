package telemetry

// Field documents one field of a report: its path (arrays written "[]"), what it is and
// the programs that carry it. SCHEMA.md is this table; a test checks that every program's
// report has exactly its fields.
type Field struct {
	Path        string
	Description string
	Programs    []Program
}

var (
	all      = []Program{CallHome, CEIP, Events, Telemetry}
	noEvents = []Program{CallHome, CEIP, Telemetry}
	ident    = []Program{CallHome, Events, Telemetry}
	conf     = []Program{CallHome, CEIP}
	names    = []Program{CallHome, Telemetry}
)

// Fields is every field of a Report, in document order.
var Fields = []Field{
	{"$schema", "the JSON Schema of the report", all},
	{"SchemaVersion", "version of this schema (" + SchemaVersion + ")", all},
	{"Program", "the program this report is for: callhome, ceip, events or telemetry", all},
	{"Metadata.UTCDate", "report generation time, UTC", all},
	{"Metadata.Date", "report generation time, the server's local time", all},
	{"Metadata.Product", "name of the upload: LicenseServerDiagnostic (Call Home), LicenseServerAnonymous (CEIP), LicenseServerEvents, LicenseServerCompliance (Telemetry)", all},
	{"Metadata.ProductVersion", "version of the upload (the schema version)", all},
	{"Metadata.ProductUTCDeployDate", "when this licd was installed (its data directory created)", all},
	{"Metadata.UploadType", "Auto (the License Management Service) or Manual (written for manual upload)", all},
	{"LicenseServer.GUID", "install id: random, made at the first start, kept in the store", all},
	{"LicenseServer.ProductVersion", "licd's version", all},
	{"LicenseServer.InstallUTC", "when this licd was installed", all},
	{"LicenseServer.DateSampleStartUTC", "start of the period the usage covers", all},
	{"LicenseServer.DateSampleStopUTC", "end of the period the usage covers (the report's time)", all},
	{"LicenseServer.HardwareId", "the machine's identity (machine-id), always a keyed hash", ident},
	{"LicenseServer.FQDN", "the server's host name; a keyed hash in Telemetry, and in Call Home and Events when PrivacySetting is On", ident},
	{"LicenseServer.Configuration.OS", "operating system", conf},
	{"LicenseServer.Configuration.OSArch", "processor architecture", conf},
	{"LicenseServer.Configuration.OSBits", "32 or 64", conf},
	{"LicenseServer.Configuration.PortLS", "license-manager port", conf},
	{"LicenseServer.Configuration.PortVD", "vendor daemon port", conf},
	{"LicenseServer.Configuration.PortWSL", "Web Services for Licensing (API) port", conf},
	{"LicenseServer.Configuration.UDUseDomain", "1: user@domain kept whole; 0: domain stripped", conf},
	{"LicenseServer.Configuration.OptFileNoLogStatus", "options file NOLOG: 0x1 checkins not logged, 0x2 checkouts not logged", conf},
	{"LicenseServer.Configuration.UDUserNameCase", "user id case folding: 0 no change, 1 lower, 2 upper", conf},
	{"LicenseServer.Configuration.UDDeviceNameCase", "device id case folding: 0 no change, 1 lower, 2 upper", conf},
	{"LicenseServer.Configuration.SARenewalCheckOption", "what is done when a renewal is available: Install, Notify or Manual", conf},
	{"LicenseServer.Configuration.EncoreSamplingPeriod", "historical usage sampling period, minutes", conf},
	{"LicenseServer.Configuration.EncoreRetentionTime", "historical usage retention, days", conf},
	{"LicenseServer.Configuration.EncoreEnabled", "whether historical usage is sampled", conf},
	{"LicenseServer.Configuration.SLSProxy", "\"1\" when uploads go through a proxy, else \"0\" (never the proxy's address or credentials)", conf},
	{"LicenseServer.Configuration.PrivacySetting", "On: user, device and host names scrambled in Call Home; Off: sent as stored", conf},
	{"LicenseServer.Configuration.UDUploadEnabled", "whether user/device names are part of the uploads (Call Home)", conf},
	{"LicenseServer.Configuration.SetupCluster", "1 when the server is part of a cluster", conf},
	{"LicenseServer.Burst.SupplementalGracePeriod", "License burst mode switch: enabled or disabled", noEvents},
	{"LicenseServer.Burst.SGPClockErrorCode", "why a burst began (0: licenses ran out)", noEvents},
	{"LicenseServer.Burst.SGPMaxDays", "most days left of a burst in progress", noEvents},
	{"Features[].ID", "product code (FEATURE)", all},
	{"Features[].Model", "license model", all},
	{"Features[].Usage.UDReportGenerationUTC", "when the user/device figures were read", noEvents},
	{"Features[].Usage.UDAdminUsersReleased", "users released with udadmin", noEvents},
	{"Features[].Usage.UDAdminDevicesReleased", "devices released with udadmin", noEvents},
	{"Features[].SADates[].ID", "CSS (Subscription Advantage) date", all},
	{"Features[].SADates[].DateSampleStartUTC", "start of the sampled period", all},
	{"Features[].SADates[].DateSampleStopUTC", "end of the sampled period", all},
	{"Features[].SADates[].CountUsedMax", "most licenses in use at once in the period", all},
	{"Features[].SADates[].CountInstalled", "licenses installed (purchased plus overdraft)", all},
	{"Features[].SADates[].Active", "1: in the inventory now; 0: only in the historical samples", all},
	{"Features[].SADates[].Licensees.CountTotal", "user and device licenses assigned (on the feature's newest CSS date)", noEvents},
	{"Features[].SADates[].Licensees.Users[].ID", "a user holding a user license; a keyed hash in Telemetry, and in Call Home when PrivacySetting is On", names},
	{"Features[].SADates[].Licensees.Users[].timeLastLogin", "the user's last connection", names},
	{"Features[].SADates[].Licensees.Devices[].Name", "a device holding a device license; hashed as Users[].ID", names},
	{"Features[].SADates[].Licensees.Devices[].timeLastLogin", "the device's last connection", names},
	{"Features[].SADates[].CCUDevices[].DevId", "a device holding a concurrent license now; hashed as Users[].ID", names},
	{"Features[].SADates[].Pools[].Serial", "the license lines' SN (serial number)", all},
	{"Features[].SADates[].Pools[].DateExpiration", "expiry date, or permanent", all},
	{"Features[].SADates[].Pools[].DateIssued", "ISSUED date of the line that expires first", all},
	{"Features[].SADates[].Pools[].DateStart", "START date", all},
	{"Features[].SADates[].Pools[].VendorStr", "VENDOR_STRING", all},
	{"Features[].SADates[].Pools[].CountInstalled", "licenses installed in the pool", all},
	{"Features[].SADates[].Pools[].CountOverdraft", "overdraft licenses in use", all},
	{"Features[].SADates[].Pools[].Notice", "NOTICE of the license file (the licensee company)", []Program{CallHome, Events}},
	{"Features[].SADates[].Pools[].UsageSamples[].Timestamp", "historical usage sample time (UsageSamples)", noEvents},
	{"Features[].SADates[].Pools[].UsageSamples[].CountInUse", "most licenses in use since the previous sample", noEvents},
	{"Features[].SADates[].Pools[].UsageSamples[].OverDraft", "overdraft licenses in use", noEvents},
	{"Features[].SADates[].Pools[].UsageSamples[].Installed", "licenses installed", noEvents},
	{"StartupCounts[].LPE", "product, edition and version date of connected product servers (XDT_PLT_2024.0101)", noEvents},
	{"StartupCounts[].Product", "product", noEvents},
	{"StartupCounts[].Edition", "edition", noEvents},
	{"StartupCounts[].Model", "license model the product asks for", noEvents},
	{"StartupCounts[].VersionDate", "the product's version date", noEvents},
	{"StartupCounts[].Count", "product servers connected", noEvents},
	{"SupplementalGracePeriod[].ID", "product code of a pool in License burst mode", noEvents},
	{"SupplementalGracePeriod[].SADate", "its CSS date", noEvents},
	{"SupplementalGracePeriod[].LicCount", "its installed count", noEvents},
	{"SupplementalGracePeriod[].DateTriggerUTC", "when the burst began", noEvents},
	{"SupplementalGracePeriod[].DateEndUTC", "when the burst ends", noEvents},
	{"Events[].type", "LicenseServer.Inventory, LicenseServer.LicenseExpiry, LicenseServer.Renewal or LicenseServer.BurstMode", []Program{Events}},
	{"Events[].st", "when the event was seen", []Program{Events}},
	{"Events[].Feature", "the feature concerned", []Program{Events}},
	{"Events[].SADate", "its CSS date", []Program{Events}},
	{"Events[].Message", "what happened", []Program{Events}},
	{"Events[].Until", "the deadline (expiry, end of burst)", []Program{Events}},
}
