// The real Quartz as an oracle for src/local/workspace/quartz.ts: reads cases from stdin, one a line, and prints
// one JSON line each, in order.
//   <expression> TAB <zone> TAB <after, epoch ms> TAB <n>   ->  [t1, ..., tn]: each fire time after the one before
//                                                               (epoch ms; null once there is none),
//                                                               or {"error": "..."} when Quartz refuses it
//   #zone TAB <zone> TAB <from ms> TAB <to ms>               ->  {"offset": <ms at from>, "transitions": [[<ms>, <offset after, ms>], ...]}
//                                                               (java.util.TimeZone's offsets, to tell the JDK's time zone data apart from Node's)
// Launched as a single source file (java -cp quartz.jar QuartzOracle.java), so it needs a JDK, not only a JRE.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

public class QuartzOracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      String[] c = line.split("\t", -1);
      try {
        out.println(c[0].equals("#zone") ? zone(c[1], Long.parseLong(c[2]), Long.parseLong(c[3])) : fireTimes(c[0], c[1], Long.parseLong(c[2]), Integer.parseInt(c[3])));
      } catch (Exception e) {
        out.println("{\"error\": \"" + String.valueOf(e.getMessage()).replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
      }
    }
    out.flush();
  }

  static TimeZone timeZone(String id) {
    TimeZone tz = TimeZone.getTimeZone(id);
    // TimeZone falls back to GMT for an id it does not know: that would compare two different zones.
    if (!tz.getID().equals(id)) throw new IllegalArgumentException("unknown time zone " + id);
    return tz;
  }

  static String fireTimes(String expression, String zone, long after, int n) throws Exception {
    CronExpression e = new CronExpression(expression);
    e.setTimeZone(timeZone(zone));
    StringBuilder sb = new StringBuilder("[");
    Date t = new Date(after);
    for (int i = 0; i < n; i++) {
      if (i > 0) sb.append(',');
      t = t == null ? null : e.getNextValidTimeAfter(t);
      sb.append(t == null ? "null" : Long.toString(t.getTime()));
    }
    return sb.append(']').toString();
  }

  // The offsets java.util.TimeZone gives, which Quartz's Calendar uses (past 2037 the JDK reads them from a rule
  // rather than its table, and for some zones that differs from java.time): scanned every 15 minutes, each change
  // found to the second.
  static String zone(String zone, long from, long to) {
    TimeZone tz = timeZone(zone);
    StringBuilder sb = new StringBuilder("{\"offset\": ").append(tz.getOffset(from)).append(", \"transitions\": [");
    boolean first = true;
    for (long t = from, step = 15 * 60_000L; t + step <= to; t += step) {
      int before = tz.getOffset(t);
      if (tz.getOffset(t + step) == before) continue;
      long lo = t, hi = t + step;
      while (hi - lo > 1000) {
        long mid = lo + (hi - lo) / 2000 * 1000;
        if (tz.getOffset(mid) == before) lo = mid; else hi = mid;
      }
      if (!first) sb.append(',');
      first = false;
      sb.append('[').append(hi).append(',').append(tz.getOffset(hi)).append(']');
    }
    return sb.append("]}").toString();
  }
}
