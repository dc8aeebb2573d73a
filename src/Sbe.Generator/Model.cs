using System.Collections.Generic;
using System.Xml.Linq;

namespace Wallet.Sbe.Generator;

/// <summary>The SBE 1.0 primitive types.</summary>
internal enum Prim
{
    Char,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,
}

internal enum Presence
{
    Required,
    Optional,
    Constant,
}

/// <summary>Facts about one primitive: size, C# type, the spec's null/min/max values as C# expressions.</summary>
internal sealed class PrimInfo
{
    public PrimInfo(Prim prim, int size, string cs, string nullValue, string minValue, string maxValue)
    {
        Prim = prim;
        Size = size;
        Cs = cs;
        NullValue = nullValue;
        MinValue = minValue;
        MaxValue = maxValue;
    }

    public Prim Prim { get; }
    public int Size { get; }
    public string Cs { get; }
    public string NullValue { get; }
    public string MinValue { get; }
    public string MaxValue { get; }
    public bool IsFloat => Prim == Prim.Float || Prim == Prim.Double;
    public bool IsUnsigned => Prim == Prim.Char || Prim == Prim.UInt8 || Prim == Prim.UInt16 || Prim == Prim.UInt32 || Prim == Prim.UInt64;

    private static readonly Dictionary<string, PrimInfo> ByName = new Dictionary<string, PrimInfo>
    {
        ["char"] = new PrimInfo(Prim.Char, 1, "byte", "(byte)0", "(byte)0x20", "(byte)0x7e"),
        ["int8"] = new PrimInfo(Prim.Int8, 1, "sbyte", "sbyte.MinValue", "(sbyte)(-127)", "sbyte.MaxValue"),
        ["int16"] = new PrimInfo(Prim.Int16, 2, "short", "short.MinValue", "(short)(-32767)", "short.MaxValue"),
        ["int32"] = new PrimInfo(Prim.Int32, 4, "int", "int.MinValue", "(-2147483647)", "int.MaxValue"),
        ["int64"] = new PrimInfo(Prim.Int64, 8, "long", "long.MinValue", "(-9223372036854775807L)", "long.MaxValue"),
        ["uint8"] = new PrimInfo(Prim.UInt8, 1, "byte", "byte.MaxValue", "(byte)0", "(byte)254"),
        ["uint16"] = new PrimInfo(Prim.UInt16, 2, "ushort", "ushort.MaxValue", "(ushort)0", "(ushort)65534"),
        ["uint32"] = new PrimInfo(Prim.UInt32, 4, "uint", "uint.MaxValue", "0U", "4294967294U"),
        ["uint64"] = new PrimInfo(Prim.UInt64, 8, "ulong", "ulong.MaxValue", "0UL", "18446744073709551614UL"),
        ["float"] = new PrimInfo(Prim.Float, 4, "float", "float.NaN", "float.MinValue", "float.MaxValue"),
        ["double"] = new PrimInfo(Prim.Double, 8, "double", "double.NaN", "double.MinValue", "double.MaxValue"),
    };

    public static PrimInfo? Lookup(string name) => ByName.TryGetValue(name, out PrimInfo? p) ? p : null;
}

/// <summary>Any named type of the schema (or an inline member type of a composite).</summary>
internal abstract class TypeDef
{
    protected TypeDef(string name, XElement element)
    {
        Name = name;
        Element = element;
    }

    public string Name { get; }
    public XElement Element { get; }
    public int SinceVersion { get; set; }
    public int? Offset { get; set; }

    /// <summary>Bytes this type occupies on the wire (0 for constants).</summary>
    public abstract int Size { get; }
}

/// <summary>A <c>type</c> element: a primitive, optionally an array, optionally constant/optional.</summary>
internal sealed class EncodedType : TypeDef
{
    public EncodedType(string name, XElement element, PrimInfo prim)
        : base(name, element)
    {
        Prim = prim;
    }

    public PrimInfo Prim { get; }
    public int Length { get; set; } = 1;
    public Presence Presence { get; set; }
    public string? ConstValue { get; set; }
    public string? NullValue { get; set; }
    public string? MinValue { get; set; }
    public string? MaxValue { get; set; }
    public string? CharacterEncoding { get; set; }
    public bool IsCharArray => Prim.Prim == Generator.Prim.Char && Length > 1;
    public override int Size => Presence == Presence.Constant ? 0 : Prim.Size * Length;
}

internal sealed class EnumValue
{
    public EnumValue(string name, string literal)
    {
        Name = name;
        Literal = literal;
    }

    public string Name { get; }
    public string Literal { get; }
}

internal sealed class EnumDef : TypeDef
{
    public EnumDef(string name, XElement element, PrimInfo encoding)
        : base(name, element)
    {
        Encoding = encoding;
    }

    public PrimInfo Encoding { get; }
    public List<EnumValue> Values { get; } = new List<EnumValue>();
    public Presence Presence { get; set; }
    public string? ConstValue { get; set; }
    public override int Size => Presence == Presence.Constant ? 0 : Encoding.Size;
}

internal sealed class SetChoice
{
    public SetChoice(string name, int bit)
    {
        Name = name;
        Bit = bit;
    }

    public string Name { get; }
    public int Bit { get; }
}

internal sealed class SetDef : TypeDef
{
    public SetDef(string name, XElement element, PrimInfo encoding)
        : base(name, element)
    {
        Encoding = encoding;
    }

    public PrimInfo Encoding { get; }
    public List<SetChoice> Choices { get; } = new List<SetChoice>();
    public override int Size => Encoding.Size;
}

/// <summary>A member of a composite: its name, its (inline or referenced) type and its offset.</summary>
internal sealed class CompositeMember
{
    public CompositeMember(string name, TypeDef type, int offset, int sinceVersion)
    {
        Name = name;
        Type = type;
        Offset = offset;
        SinceVersion = sinceVersion;
    }

    public string Name { get; }
    public TypeDef Type { get; }
    public int Offset { get; }
    public int SinceVersion { get; }
}

internal sealed class CompositeDef : TypeDef
{
    public CompositeDef(string name, XElement element)
        : base(name, element)
    {
    }

    public List<CompositeMember> Members { get; } = new List<CompositeMember>();
    public int ComputedSize { get; set; }
    public bool Resolved { get; set; }
    public bool Resolving { get; set; }
    public override int Size => ComputedSize;

    public CompositeMember? Find(string name)
    {
        foreach (CompositeMember m in Members)
        {
            if (m.Name == name)
            {
                return m;
            }
        }

        return null;
    }
}

/// <summary>A field of a message or group block.</summary>
internal sealed class FieldDef
{
    public FieldDef(string name, int id, TypeDef type, XElement element)
    {
        Name = name;
        Id = id;
        Type = type;
        Element = element;
    }

    public string Name { get; }
    public int Id { get; }
    public TypeDef Type { get; }
    public XElement Element { get; }
    public int Offset { get; set; }
    public Presence Presence { get; set; }
    /// <summary>For constant enum fields: the enum value name referenced by valueRef.</summary>
    public string? ConstEnumValue { get; set; }
    public int SinceVersion { get; set; }
}

internal sealed class DataDef
{
    public DataDef(string name, int id, CompositeDef type, PrimInfo lengthPrim, XElement element)
    {
        Name = name;
        Id = id;
        Type = type;
        LengthPrim = lengthPrim;
        Element = element;
    }

    public string Name { get; }
    public int Id { get; }
    public CompositeDef Type { get; }
    public PrimInfo LengthPrim { get; }
    public XElement Element { get; }
    public int LengthOffset { get; set; }
    public int DataOffset { get; set; }
    public string? LengthMax { get; set; }
    public string? CharacterEncoding { get; set; }
    public int SinceVersion { get; set; }
}

/// <summary>A message root or a repeating group: fields, then groups, then var data.</summary>
internal class BlockDef
{
    public BlockDef(string name, int id, XElement element)
    {
        Name = name;
        Id = id;
        Element = element;
    }

    public string Name { get; }
    public int Id { get; }
    public XElement Element { get; }
    public int BlockLength { get; set; }
    public int SinceVersion { get; set; }
    public List<FieldDef> Fields { get; } = new List<FieldDef>();
    public List<GroupDef> Groups { get; } = new List<GroupDef>();
    public List<DataDef> Data { get; } = new List<DataDef>();
}

internal sealed class GroupDef : BlockDef
{
    public GroupDef(string name, int id, XElement element, CompositeDef dimension)
        : base(name, id, element)
    {
        Dimension = dimension;
    }

    public CompositeDef Dimension { get; }
}

internal sealed class MessageDef : BlockDef
{
    public MessageDef(string name, int id, XElement element)
        : base(name, id, element)
    {
    }
}

internal sealed class SchemaDef
{
    public SchemaDef(string package, int id, int version, bool bigEndian, CompositeDef header)
    {
        Package = package;
        Id = id;
        Version = version;
        BigEndian = bigEndian;
        Header = header;
    }

    public string Package { get; }
    public int Id { get; }
    public int Version { get; }
    public bool BigEndian { get; }
    public string? SemanticVersion { get; set; }
    public CompositeDef Header { get; }
    public List<TypeDef> Types { get; } = new List<TypeDef>();
    public List<MessageDef> Messages { get; } = new List<MessageDef>();
}
