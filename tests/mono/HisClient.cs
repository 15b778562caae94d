// A hospital HIS as .NET developers wrote them: the proxy generated from the WSDL by
// `wsdl`, DataSets built with System.Data, the digest computed per digest.md.
//
//   mono HisClient.exe URL KEY SCENARIO [name=value ...]
//
// Compiled with -define:NO_MESSAGE_HEADER against a proxy generated from the WSDL as
// published before the MessageHeader extension: a HIS that cannot be updated.
//
// Prints one line per step: "step<TAB>value" ("<null>" for a null DataSet), and for
// a null DataSet result the ErrorInfo header it came with.
using System;
using System.Collections.Generic;
using System.Data;
using Ncms;

public static class HisClient
{
    static NcmsService service;
    static string key;
    static Dictionary<string, string> options = new Dictionary<string, string>();

    static string Option(string name, string fallback)
    {
        string value;
        return options.TryGetValue(name, out value) ? value : fallback;
    }

    static void Print(string step, string value)
    {
        Console.WriteLine(step + "\t" + (value == null ? "<null>" : value.Replace("\n", "\\n")));
    }

    static void PrintDataSet(string step, DataSet result)
    {
        if (result == null)
        {
            Print(step, null);
            Print(step + ".ErrorInfo", service.ErrorInfoValue == null ? null
                  : service.ErrorInfoValue.code + "|" + service.ErrorInfoValue.message);
            return;
        }
        foreach (DataTable table in result.Tables)
        {
            Print(step + "." + table.TableName + ".rows", table.Rows.Count.ToString());
            for (int r = 0; r < table.Rows.Count; r++)
            {
                foreach (DataColumn column in table.Columns)
                {
                    object cell = table.Rows[r][column];
                    Print(step + "." + table.TableName + "[" + r + "]." + column.ColumnName,
                          cell == DBNull.Value ? "<dbnull>" : column.DataType.Name + ":" + Convert.ToString(cell, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
    }

    public static int Main(string[] args)
    {
        service = new NcmsService();
        service.Url = args[0];
        key = args[1];
        string scenario = args[2];
        for (int i = 3; i < args.Length; i++)
        {
            int eq = args[i].IndexOf('=');
            options[args[i].Substring(0, eq)] = args[i].Substring(eq + 1);
        }
        switch (scenario)
        {
            case "users": Users(); break;
            case "catalog": Catalog(); break;
            case "settlement": Settlement(); break;
#if !NO_MESSAGE_HEADER
            case "header": Header(); break;
#endif
            default: Console.Error.WriteLine("unknown scenario " + scenario); return 2;
        }
        return 0;
    }

    static string Hospital { get { return Option("hospital", "450200001"); } }
    static string User { get { return Option("user", "his01"); } }
    static string Password { get { return Option("password", "Passw0rd!x"); } }

    // The user operations, a DataSet result and a DataSet parameter.
    static void Users()
    {
        string y = Hospital, u = User, p = Password, n = Option("new_password", "N3w-pass!x");
        Print("yhklxgjk", service.yhklxgjk(y, u, p, n,
              Digest.Compute(key, "yhklxgjk", "yydm", y, "yh", u, "ykl", p, "xkl", n)));
        p = n;
        Print("yhklxgjk.same", service.yhklxgjk(y, u, p, p,
              Digest.Compute(key, "yhklxgjk", "yydm", y, "yh", u, "ykl", p, "xkl", p)));
        Print("Yhzjjk", service.Yhzjjk(y, u, p, "nurse01", "Nurse#2026x", "127.0.0.1,::1", "E",
              Digest.Compute(key, "Yhzjjk", "yydm", y, "fqyh", u, "fqyhkl", p, "xzyh", "nurse01",
                             "xzyhkl", "Nurse#2026x", "yxfwip", "127.0.0.1,::1", "fwqx", "E")));
        Print("Yhzjjk.again", service.Yhzjjk(y, u, p, "nurse01", "Nurse#2026x", null, "E",
              Digest.Compute(key, "Yhzjjk", "yydm", y, "fqyh", u, "fqyhkl", p, "xzyh", "nurse01",
                             "xzyhkl", "Nurse#2026x", "yxfwip", null, "fwqx", "E")));
        Print("Yhscjk", service.Yhscjk(y, u, p, "nurse01",
              Digest.Compute(key, "Yhscjk", "yydm", y, "fqyh", u, "fqyhkl", p, "scyh", "nurse01")));
        Print("Yhscjk.self", service.Yhscjk(y, u, p, u,
              Digest.Compute(key, "Yhscjk", "yydm", y, "fqyh", u, "fqyhkl", p, "scyh", u)));
        Print("wrong.password", service.yhklxgjk(y, u, "Wrong-pass1", "Other#2026x",
              Digest.Compute(key, "yhklxgjk", "yydm", y, "yh", u, "ykl", "Wrong-pass1", "xkl", "Other#2026x")));
        Print("wrong.key", service.yhklxgjk(y, u, p, "Other#2026x",
              Digest.Compute("not-the-key", "yhklxgjk", "yydm", y, "yh", u, "ykl", p, "xkl", "Other#2026x")));

        PrintDataSet("chryxxjk", service.chryxxjk(y, u, p, "45020000100001",
              Digest.Compute(key, "chryxxjk", "yydm", y, "yh", u, "kl", p, "chzh", "45020000100001")));

        DataSet catalog = new DataSet("NewDataSet");
        DataTable ypml = catalog.Tables.Add("ypml");
        ypml.Columns.Add("yyxmbm", typeof(string));
        ypml.Columns.Add("xmmc", typeof(string));
        ypml.Columns.Add("gg", typeof(string));
        ypml.Columns.Add("dj", typeof(decimal));
        ypml.Columns.Add("nhbm", typeof(string));
        ypml.Columns.Add("czlx", typeof(string));
        ypml.Rows.Add("YP0001", "阿莫西林胶囊", "0.25g*24粒", 12.5000m, DBNull.Value, "A");
        ypml.Rows.Add("YP0002", "注射用水 & 溶媒", "", 0.35m, "NH0002", "A");
        Print("ypmljk", service.ypmljk(y, u, p, catalog,
              Digest.Compute(key, "ypmljk", "yydm", y, "yh", u, "kl", p, "ypml", catalog)));
    }

    // Catalog uploads the way a .NET HIS keeps its catalog in a DataSet: first upload,
    // AcceptChanges(), then edits (a modified row, a deleted row, a new row, a czlx D).
    static void Catalog()
    {
        string y = Hospital, u = User, p = Password;
        DataSet catalog = new DataSet("NewDataSet");
        DataTable ypml = catalog.Tables.Add("ypml");
        ypml.Columns.Add("yyxmbm", typeof(string));
        ypml.Columns.Add("xmmc", typeof(string));
        ypml.Columns.Add("gg", typeof(string));
        ypml.Columns.Add("pzwh", typeof(string));
        ypml.Columns.Add("dj", typeof(decimal));
        ypml.Columns.Add("nhbm", typeof(string));
        ypml.Columns.Add("czlx", typeof(string));
        ypml.Rows.Add("YPM1", "阿莫西林胶囊", "0.25g*24粒", "国药准字H44021351", 12.5000m, DBNull.Value, DBNull.Value);
        ypml.Rows.Add("YPM2", "头孢克肟片", "0.1g*6片", DBNull.Value, 21.00m, "X002", DBNull.Value);
        ypml.Rows.Add("YPM3", "自制膏药", DBNull.Value, DBNull.Value, 3m, DBNull.Value, DBNull.Value);
        Print("ypmljk.first", service.ypmljk(y, u, p, catalog,
              Digest.Compute(key, "ypmljk", "yydm", y, "yh", u, "kl", p, "ypml", catalog)));
        catalog.AcceptChanges();
        ypml.Rows[0]["dj"] = 13.80m;           // modified
        ypml.Rows[1].Delete();                 // travels only in diffgr:before: ignored
        ypml.Rows[2]["czlx"] = "D";            // a delete, the contract's way
        ypml.Rows.Add("YPM4", "复方甘草片", "100片", "国药准字H12345678", 2.5m, DBNull.Value, "A");
        Print("ypmljk.second", service.ypmljk(y, u, p, catalog,
              Digest.Compute(key, "ypmljk", "yydm", y, "yh", u, "kl", p, "ypml", catalog)));

        DataSet services = new DataSet("NewDataSet");
        DataTable zlml = services.Tables.Add("zlml");
        zlml.Columns.Add("yyxmbm", typeof(string));
        zlml.Columns.Add("xmmc", typeof(string));
        zlml.Columns.Add("dw", typeof(string));
        zlml.Columns.Add("dj", typeof(decimal));
        zlml.Rows.Add("ZLM1", "静脉注射", "次", 5.00m);
        Print("zlmljk", service.zlmljk(y, u, p, services,
              Digest.Compute(key, "zlmljk", "yydm", y, "yh", u, "kl", p, "zlml", services)));

        DataSet bad = new DataSet("NewDataSet");
        DataTable rows = bad.Tables.Add("ypml");
        rows.Columns.Add("yyxmbm", typeof(string));
        rows.Columns.Add("xmmc", typeof(string));
        rows.Columns.Add("dj", typeof(decimal));
        rows.Rows.Add("YPM9", "a", 1m);
        rows.Rows.Add("YPM8", "b", -1m);
        Print("ypmljk.bad", service.ypmljk(y, u, p, bad,
              Digest.Compute(key, "ypmljk", "yydm", y, "yh", u, "kl", p, "ypml", bad)));
    }

    static DataTable Lines(DataSet dataSet, string name)
    {
        DataTable lines = dataSet.Tables.Add(name);
        lines.Columns.Add("mxxh", typeof(int));
        lines.Columns.Add("xmlb", typeof(string));
        lines.Columns.Add("yyxmbm", typeof(string));
        lines.Columns.Add("xmmc", typeof(string));
        lines.Columns.Add("gg", typeof(string));
        lines.Columns.Add("dw", typeof(string));
        lines.Columns.Add("dj", typeof(decimal));
        lines.Columns.Add("sl", typeof(decimal));
        lines.Columns.Add("je", typeof(decimal));
        lines.Columns.Add("fyrq", typeof(DateTime));
        return lines;
    }

    // A household, an outpatient visit and its refund, an admission, a discharge
    // settlement, its result, its refund: DataSets built and read the .NET way.
    static void Settlement()
    {
        string y = Hospital, u = User, p = Password;
        string card = Option("card", ""), member = Option("member", ""), name = Option("name", "");
        int year = int.Parse(Option("year", "2026"));

        DataSet household = service.chryxxjk(y, u, p, card,
            Digest.Compute(key, "chryxxjk", "yydm", y, "yh", u, "kl", p, "chzh", card));
        PrintDataSet("chryxxjk", household);

        DataSet main = new DataSet("NewDataSet");
        DataTable mzzb = main.Tables.Add("mzzb");
        foreach (string column in new[] { "mzbh", "chzh", "grbm", "xm", "jzrq", "ksmc", "ysxm", "zdbm", "zdmc" })
            mzzb.Columns.Add(column, typeof(string));
        mzzb.Columns.Add("zfy", typeof(decimal));
        mzzb.Rows.Add("MZNET1", card, member, name, year + "-06-01 09:30:00", "内科", DBNull.Value,
                      "J06.900", "急性上呼吸道感染", 35.0000m);
        DataSet detail = new DataSet("NewDataSet");
        DataTable mzmx = Lines(detail, "mzmx");
        DateTime fee = new DateTime(year, 6, 1, 9, 40, 0, DateTimeKind.Local);
        mzmx.Rows.Add(1, "1", "YP0001", "阿莫西林胶囊", "0.25g*24粒", "盒", 12.5000m, 2m, 25.00m, fee);
        mzmx.Rows.Add(2, "2", "ZL0001", "静脉注射", DBNull.Value, "次", 10m, 1m, 10.0m, DBNull.Value);
        PrintDataSet("mzjsjk", service.mzjsjk(y, u, p, main, detail,
            Digest.Compute(key, "mzjsjk", "yydm", y, "yh", u, "kl", p, "jszjl", main, "jsmxjl", detail)));
        PrintDataSet("mzjsjk.again", service.mzjsjk(y, u, p, main, detail,
            Digest.Compute(key, "mzjsjk", "yydm", y, "yh", u, "kl", p, "jszjl", main, "jsmxjl", detail)));
        Print("mzjstfjk", service.mzjstfjk(y, u, p, "MZNET1",
            Digest.Compute(key, "mzjstfjk", "yydm", y, "yh", u, "kl", p, "mzbh", "MZNET1")));

        mzzb.Rows[0]["zfy"] = 99.99m;   // does not add up
        mzzb.Rows[0]["mzbh"] = "MZNET2";
        PrintDataSet("mzjsjk.bad", service.mzjsjk(y, u, p, main, detail,
            Digest.Compute(key, "mzjsjk", "yydm", y, "yh", u, "kl", p, "jszjl", main, "jsmxjl", detail)));

        DataSet admission = new DataSet("NewDataSet");
        DataTable rydj = admission.Tables.Add("rydj");
        foreach (string column in new[] { "zybh", "chzh", "grbm", "xm", "ryrq", "ryks", "ryzd", "ryzdmc", "zzys", "zzbz" })
            rydj.Columns.Add(column, typeof(string));
        rydj.Rows.Add("ZYNET1", card, member, name, year + "-03-01 08:00:00", "内科", "J18.900", "肺炎", "王医生", "0");
        Print("zydjjk", service.zydjjk(y, u, p, admission,
            Digest.Compute(key, "zydjjk", "yydm", y, "yh", u, "kl", p, "rydj", admission)));

        DataSet stay = new DataSet("NewDataSet");
        DataTable zyzb = stay.Tables.Add("zyzb");
        foreach (string column in new[] { "zybh", "chzh", "grbm", "xm", "ryrq", "cyrq", "cyzd", "cyzdmc" })
            zyzb.Columns.Add(column, typeof(string));
        zyzb.Columns.Add("zfy", typeof(decimal));
        zyzb.Rows.Add("ZYNET1", card, member, name, year + "-03-01 08:00:00", year + "-03-08 10:00:00",
                      "J18.900", "肺炎", 1200.00m);
        DataSet fees = new DataSet("NewDataSet");
        DataTable zymx = Lines(fees, "zymx");
        zymx.Rows.Add(1, "2", "ZL0001", "静脉注射", DBNull.Value, "次", 10m, 100m, 1000.00m, DBNull.Value);
        zymx.Rows.Add(2, "1", "YP0002", "头孢克肟片", "0.1g*6片", "盒", 20m, 10m, 200.00m, DBNull.Value);
        Print("zyjsjk", service.zyjsjk(y, u, p, stay, fees,
            Digest.Compute(key, "zyjsjk", "yydm", y, "yh", u, "kl", p, "jszjl", stay, "jsmxjl", fees)));
        PrintDataSet("zyjsjgcx", service.zyjsjgcx(y, u, p, "ZYNET1",
            Digest.Compute(key, "zyjsjgcx", "yydm", y, "yh", u, "kl", p, "zybh", "ZYNET1")));
        Print("zyjstfjk", service.zyjstfjk(y, u, p, "ZYNET1",
            Digest.Compute(key, "zyjstfjk", "yydm", y, "yh", u, "kl", p, "zybh", "ZYNET1")));
    }

#if !NO_MESSAGE_HEADER
    // The MessageHeader (报文标识) the way an updated .NET HIS sends it: the proxy's
    // MessageHeaderValue set before each call, a new msgid every time, sendtime in
    // Beijing time, both values signed with the call.
    static MessageHeader NewHeader(double offsetSeconds)
    {
        var header = new MessageHeader();
        header.msgid = Guid.NewGuid().ToString("N");
        header.sendtime = DateTime.UtcNow.AddHours(8).AddSeconds(offsetSeconds)
            .ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        return header;
    }

    static string SamePassword(MessageHeader signedHeader)
    {
        string y = Hospital, u = User, p = Password;
        if (signedHeader == null)
            return service.yhklxgjk(y, u, p, p, Digest.Compute(key, "yhklxgjk", "yydm", y, "yh", u, "ykl", p, "xkl", p));
        return service.yhklxgjk(y, u, p, p, Digest.Compute(key, "yhklxgjk", "yydm", y, "yh", u, "ykl", p, "xkl", p,
                                "MessageHeader.msgid", signedHeader.msgid,
                                "MessageHeader.sendtime", signedHeader.sendtime));
    }

    static void Header()
    {
        string y = Hospital, u = User, p = Password;
        MessageHeader header = NewHeader(0);
        service.MessageHeaderValue = header;
        Print("header.first", SamePassword(header));
        Print("header.replay", SamePassword(header));           // the same msgid again
        header = NewHeader(-3600);
        service.MessageHeaderValue = header;
        Print("header.stale", SamePassword(header));            // an hour old
        header = NewHeader(0);
        service.MessageHeaderValue = null;                      // signed with it, sent without it
        Print("header.stripped", SamePassword(header));
        header = NewHeader(0);
        service.MessageHeaderValue = header;
        Print("header.fresh", SamePassword(header));

        // a DataSet parameter and the header in one signature
        DataSet catalog = new DataSet("NewDataSet");
        DataTable ypml = catalog.Tables.Add("ypml");
        ypml.Columns.Add("yyxmbm", typeof(string));
        ypml.Columns.Add("xmmc", typeof(string));
        ypml.Columns.Add("dj", typeof(decimal));
        ypml.Rows.Add("YP0001", "阿莫西林胶囊", 12.5000m);
        header = NewHeader(0);
        service.MessageHeaderValue = header;
        Print("header.ypmljk", service.ypmljk(y, u, p, catalog,
              Digest.Compute(key, "ypmljk", "yydm", y, "yh", u, "kl", p, "ypml", catalog,
                             "MessageHeader.msgid", header.msgid, "MessageHeader.sendtime", header.sendtime)));
        // a DataSet answer with the header
        header = NewHeader(0);
        service.MessageHeaderValue = header;
        PrintDataSet("header.chryxxjk", service.chryxxjk(y, u, p, "45020000100001",
              Digest.Compute(key, "chryxxjk", "yydm", y, "yh", u, "kl", p, "chzh", "45020000100001",
                             "MessageHeader.msgid", header.msgid, "MessageHeader.sendtime", header.sendtime)));
        service.MessageHeaderValue = null;
        Print("header.none", SamePassword(null));
    }
#endif
}
