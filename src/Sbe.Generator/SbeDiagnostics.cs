using Microsoft.CodeAnalysis;

namespace Wallet.Sbe.Generator;

/// <summary>Every diagnostic the SBE generator reports. Messages name the element/attribute and the schema file.</summary>
internal static class SbeDiagnostics
{
    private const string Category = "Wallet.Sbe";

    private static DiagnosticDescriptor Error(string id, string title) =>
        new DiagnosticDescriptor(id, title, "{0} (schema file '{1}')", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MalformedXml = Error("SBE001", "Malformed SBE schema XML");
    public static readonly DiagnosticDescriptor InvalidSchemaAttribute = Error("SBE002", "Invalid messageSchema attribute");
    public static readonly DiagnosticDescriptor UnknownPrimitive = Error("SBE003", "Unknown SBE primitive type");
    public static readonly DiagnosticDescriptor UndefinedType = Error("SBE004", "Reference to an undefined type");
    public static readonly DiagnosticDescriptor DuplicateId = Error("SBE005", "Duplicate id");
    public static readonly DiagnosticDescriptor DuplicateName = Error("SBE006", "Duplicate name");
    public static readonly DiagnosticDescriptor BadDimension = Error("SBE007", "Invalid or missing group dimension type");
    public static readonly DiagnosticDescriptor BadHeader = Error("SBE008", "Invalid or missing message header type");
    public static readonly DiagnosticDescriptor SinceVersionTooHigh = Error("SBE009", "sinceVersion greater than the schema version");
    public static readonly DiagnosticDescriptor BadLayout = Error("SBE010", "Invalid offset or blockLength");
    public static readonly DiagnosticDescriptor BadVarData = Error("SBE011", "Invalid var data encoding");
    public static readonly DiagnosticDescriptor BadConstant = Error("SBE012", "Invalid constant, valueRef or value literal");
    public static readonly DiagnosticDescriptor IncludeNotFound = Error("SBE013", "XInclude target not found");
    public static readonly DiagnosticDescriptor BadOrder = Error("SBE014", "Fields, groups and data out of order");
    public static readonly DiagnosticDescriptor BadAttribute = Error("SBE015", "Missing or invalid attribute");
    public static readonly DiagnosticDescriptor BadEnumOrSet = Error("SBE016", "Invalid enum or set");

    public static readonly DiagnosticDescriptor InternalError = new DiagnosticDescriptor(
        "SBE099",
        "SBE generator internal error",
        "The SBE generator failed on schema file '{1}': {0}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
