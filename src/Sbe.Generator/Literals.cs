using System;
using System.Globalization;
using System.Text;

namespace Wallet.Sbe.Generator;

/// <summary>Turns schema value strings into C# literal expressions of the right primitive type.</summary>
internal static class Literals
{
    /// <summary>A plain integral literal (no cast) valid for the primitive; used for enum members.</summary>
    public static bool TryIntegral(PrimInfo prim, string raw, out string literal)
    {
        literal = string.Empty;
        if (prim.IsFloat)
        {
            return false;
        }

        if (prim.IsUnsigned)
        {
            if (!ulong.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong u) || u > MaxUnsigned(prim))
            {
                return false;
            }

            literal = u.ToString(CultureInfo.InvariantCulture) + (prim.Prim == Prim.UInt64 ? "UL" : string.Empty);
            return true;
        }

        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long s) || s < MinSigned(prim) || s > MaxSigned(prim))
        {
            return false;
        }

        literal = s.ToString(CultureInfo.InvariantCulture) + (prim.Prim == Prim.Int64 ? "L" : string.Empty);
        return true;
    }

    /// <summary>A C# expression of type <c>prim.Cs</c> for the raw schema value.</summary>
    public static bool TryFormat(PrimInfo prim, string raw, out string expression)
    {
        expression = string.Empty;
        raw = raw.Trim();
        if (prim.Prim == Prim.Char && raw.Length == 1 && !char.IsDigit(raw[0]))
        {
            if (raw[0] > 0x7f)
            {
                return false;
            }

            expression = "(byte)" + ((int)raw[0]).ToString(CultureInfo.InvariantCulture);
            return true;
        }

        if (prim.IsFloat)
        {
            if (raw == "NaN")
            {
                expression = prim.Cs + ".NaN";
                return true;
            }

            if (prim.Prim == Prim.Float)
            {
                if (!float.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) || float.IsInfinity(f))
                {
                    return false;
                }

                expression = "(" + f.ToString("R", CultureInfo.InvariantCulture) + "f)";
                return true;
            }

            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsInfinity(d))
            {
                return false;
            }

            expression = "(" + d.ToString("R", CultureInfo.InvariantCulture) + "d)";
            return true;
        }

        if (!TryIntegral(prim, raw, out string lit))
        {
            return false;
        }

        expression = "unchecked((" + prim.Cs + ")(" + lit + "))";
        return true;
    }

    public static string Format(PrimInfo prim, string raw) =>
        TryFormat(prim, raw, out string e) ? e : throw new InvalidOperationException($"invalid literal '{raw}' for {prim.Prim}");

    /// <summary>The spec null value as a plain integral literal (for enums).</summary>
    public static string NullIntegral(PrimInfo prim) => prim.Prim switch
    {
        Prim.Char => "0",
        Prim.Int8 => "-128",
        Prim.Int16 => "-32768",
        Prim.Int32 => "-2147483648",
        Prim.Int64 => "-9223372036854775808L",
        Prim.UInt8 => "255",
        Prim.UInt16 => "65535",
        Prim.UInt32 => "4294967295U",
        Prim.UInt64 => "18446744073709551615UL",
        _ => throw new InvalidOperationException("no integral null for " + prim.Prim),
    };

    public static ulong MaxUnsigned(PrimInfo prim) => prim.Prim switch
    {
        Prim.Char => byte.MaxValue,
        Prim.UInt8 => byte.MaxValue,
        Prim.UInt16 => ushort.MaxValue,
        Prim.UInt32 => uint.MaxValue,
        _ => ulong.MaxValue,
    };

    /// <summary>The largest non-null value (the spec's default maxValue) of an unsigned primitive.</summary>
    public static ulong MaxNonNullUnsigned(PrimInfo prim) => MaxUnsigned(prim) - 1;

    private static long MinSigned(PrimInfo prim) => prim.Prim switch
    {
        Prim.Int8 => sbyte.MinValue,
        Prim.Int16 => short.MinValue,
        Prim.Int32 => int.MinValue,
        _ => long.MinValue,
    };

    private static long MaxSigned(PrimInfo prim) => prim.Prim switch
    {
        Prim.Int8 => sbyte.MaxValue,
        Prim.Int16 => short.MaxValue,
        Prim.Int32 => int.MaxValue,
        _ => long.MaxValue,
    };

    public static string StringLiteral(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}

/// <summary>Identifier helpers.</summary>
internal static class Naming
{
    public static bool IsValidSbeName(string name)
    {
        if (name.Length == 0 || !(char.IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    public static string Pascal(string name)
    {
        if (name.Length == 0)
        {
            return name;
        }

        return char.ToUpperInvariant(name[0]) + name.Substring(1);
    }

    /// <summary>"baseline" → "Baseline"; "my.pkg-name" → "My.PkgName".</summary>
    public static string NamespaceFromPackage(string package)
    {
        var sb = new StringBuilder();
        foreach (string part in package.Split('.'))
        {
            var p = new StringBuilder();
            bool upper = true;
            foreach (char c in part)
            {
                if (char.IsLetterOrDigit(c) || c == '_')
                {
                    p.Append(upper ? char.ToUpperInvariant(c) : c);
                    upper = false;
                }
                else
                {
                    upper = true;
                }
            }

            if (p.Length == 0)
            {
                continue;
            }

            if (char.IsDigit(p[0]))
            {
                p.Insert(0, '_');
            }

            if (sb.Length > 0)
            {
                sb.Append('.');
            }

            sb.Append(p);
        }

        return sb.Length == 0 ? "Sbe" : sb.ToString();
    }
}
