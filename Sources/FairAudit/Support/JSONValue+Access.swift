extension JSONValue {
    /// The number, if this is one (`null` reads as NaN).
    public var double: Double? {
        switch self {
        case .number(let x): x
        case .int(let i): Double(i)
        case .null: .nan
        default: nil
        }
    }

    /// The string, if this is one.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements, if this is an array.
    public var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// A two-number array as a closed range, if it is one.
    public var range: ClosedRange<Double>? {
        guard let items = array, items.count == 2, let lo = items[0].double, let hi = items[1].double,
            lo.isFinite, hi.isFinite, lo <= hi
        else { return nil }
        return lo...hi
    }
}
