// The message digest of digest.md, as a .NET HIS computes it: from the values it
// sends, before it sends them. Only standard .NET (System.Security.Cryptography).
using System;
using System.Collections.Generic;
using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;

public static class Digest
{
    // name/value pairs: a string parameter gives one pair, a DataSet one per non-null cell.
    public static string Compute(string key, string operation, params object[] nameValuePairs)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < nameValuePairs.Length; i += 2)
        {
            string name = (string)nameValuePairs[i];
            object value = nameValuePairs[i + 1];
            DataSet dataSet = value as DataSet;
            if (dataSet != null)
            {
                AddDataSet(pairs, name, dataSet);
            }
            else
            {
                pairs.Add(new KeyValuePair<string, string>(name, Escape((string)value ?? "")));
            }
        }
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var message = new StringBuilder(operation).Append('\n');
        for (int i = 0; i < pairs.Count; i++)
        {
            if (i > 0) message.Append('&');
            message.Append(pairs[i].Key).Append('=').Append(pairs[i].Value);
        }
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(key)))
        {
            byte[] mac = hmac.ComputeHash(Encoding.UTF8.GetBytes(message.ToString()));
            var hex = new StringBuilder();
            foreach (byte b in mac) hex.Append(b.ToString("x2"));
            return hex.ToString();
        }
    }

    static void AddDataSet(List<KeyValuePair<string, string>> pairs, string name, DataSet dataSet)
    {
        foreach (DataTable table in dataSet.Tables)
        {
            int index = 0;
            foreach (DataRow row in table.Rows)
            {
                if (row.RowState == DataRowState.Deleted) continue;  // only in diffgr:before
                foreach (DataColumn column in table.Columns)
                {
                    object cell = row[column];
                    if (cell == DBNull.Value) continue;                  // a null cell: no pair
                    pairs.Add(new KeyValuePair<string, string>(
                        name + "." + table.TableName + "[" + index + "]." + column.ColumnName,
                        Escape(Text(cell))));
                }
                index++;
            }
        }
    }

    // The cell's text exactly as the DataSet will be serialized.
    static string Text(object cell)
    {
        if (cell is decimal) return XmlConvert.ToString((decimal)cell);
        if (cell is int) return XmlConvert.ToString((int)cell);
        if (cell is DateTime) return XmlConvert.ToString((DateTime)cell, XmlDateTimeSerializationMode.Local);
        return Convert.ToString(cell, CultureInfo.InvariantCulture);
    }

    static string Escape(string value)
    {
        return value.Replace("%", "%25").Replace("&", "%26").Replace("=", "%3D")
                    .Replace("\r", "%0D").Replace("\n", "%0A");
    }
}
