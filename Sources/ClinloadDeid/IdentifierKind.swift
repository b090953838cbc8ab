/// The direct identifiers of 45 CFR 164.514(b)(2)(i) that are never released, in
/// either profile — of the patient and of relatives, employers and household
/// members (I1–I17). Each carries the rule's letter for the manifest.
/// Geography (B) and dates and ages (C) are quasi-identifiers: `QuasiIdentifierKind`.
public enum IdentifierKind: String, Sendable, CaseIterable {
    /// Names, of the patient, relatives, guarantors, employers, household members,
    /// and initials (I1, I2, I17).
    case name
    case phone
    case fax
    case email
    /// Social security numbers, also in part (last four digits; I5).
    case ssn
    /// Medical record numbers, every repetition (I6).
    case medicalRecordNumber = "mrn"
    /// Health plan beneficiary / member numbers, Medicare MBI (I7).
    case healthPlanNumber = "health_plan_number"
    /// Account, visit and encounter numbers (I8).
    case accountNumber = "account_number"
    /// Certificate and license numbers held by the patient (I9).
    case licenseNumber = "license_number"
    /// Vehicle identifiers, serial numbers and plates (I10).
    case vehicleIdentifier = "vehicle_identifier"
    /// Device identifiers, serial numbers, UDIs (I11).
    case deviceIdentifier = "device_identifier"
    case url
    case ipAddress = "ip_address"
    /// Finger and voice prints, other biometric templates (I14).
    case biometric
    /// Full-face photographs and comparable images (I15).
    case photo
    /// Any other unique identifying number, characteristic or code: accession
    /// numbers, specimen barcodes (I16), room and bed numbers (T6).
    case otherUniqueIdentifier = "other_unique_identifier"

    /// The paragraph of 164.514(b)(2)(i) that names it: `A`, `D`...`R`.
    public var safeHarborElement: String {
        switch self {
        case .name: return "A"
        case .phone: return "D"
        case .fax: return "E"
        case .email: return "F"
        case .ssn: return "G"
        case .medicalRecordNumber: return "H"
        case .healthPlanNumber: return "I"
        case .accountNumber: return "J"
        case .licenseNumber: return "K"
        case .vehicleIdentifier: return "L"
        case .deviceIdentifier: return "M"
        case .url: return "N"
        case .ipAddress: return "O"
        case .biometric: return "P"
        case .photo: return "Q"
        case .otherUniqueIdentifier: return "R"
        }
    }
}
