/// Swift strings for libxml2's interned names, made once per distinct name.
///
/// The parser's dictionary gives each distinct name one pointer for the life of
/// the reader, so a name can be looked up by address: element and attribute
/// names cost no allocation per event. A small direct-mapped table answers the
/// hot path without hashing (a feed has a few dozen distinct names); a
/// dictionary holds every name met, for the rare collision. Owned by one reader
/// (its dictionary dies with it) and used from one thread at a time, hence no
/// dynamic exclusivity checks.
final class InternedNames {
    private struct Slot {
        var pointer: UnsafeRawPointer?
        var string: String
    }

    private static let slotBits = 8
    private static let slotCount = 1 << slotBits
    @exclusivity(unchecked) private var slots = ContiguousArray(repeating: Slot(pointer: nil, string: ""), count: slotCount)
    @exclusivity(unchecked) private var all: [UnsafeRawPointer: String] = [:]

    func string(_ name: UnsafePointer<UInt8>?) -> String {
        guard let name else { return "" }
        let key = UnsafeRawPointer(name)
        let index = XMLNameToken(local: UInt(bitPattern: key), namespace: 0).slot(bits: Self.slotBits)
        if slots[index].pointer == key { return slots[index].string }
        let string: String
        if let known = all[key] {
            string = known
        } else {
            string = String(cString: name)
            all[key] = string
        }
        slots[index] = Slot(pointer: key, string: string)
        return string
    }
}
