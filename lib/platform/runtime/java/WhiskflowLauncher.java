/*
 * whiskflow's Java action launcher, run by the action proxy (lib/platform/runtime/actionloop) for
 * the java:* kinds, with the action's jar and Gson on the class path. It behaves like the Proxy of
 * apache/openwhisk-runtime-java (java8action, the image of java:8): `main` names the class,
 * optionally `#method` (default `main`), a `public static JsonObject main(JsonObject)`; the texts
 * of its errors are that Proxy's. Protocol (actionloop): an acknowledgement line on fd 3, then for
 * every JSON line on stdin the result as one line on fd 3; a failure the Proxy answers with a 502
 * is written as {"__whiskflow_developer_error": text}.
 */
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

public class WhiskflowLauncher {
    private static final String DEVELOPER_ERROR = "__whiskflow_developer_error";

    public static void main(String[] args) throws Exception {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(resultDescriptor()), StandardCharsets.UTF_8));
        String entrypoint = args.length > 0 ? args[0] : "Main";
        String[] parts = entrypoint.split("#");
        String methodName = parts.length > 1 ? parts[1] : "main";
        Class<?> mainClass;
        try {
            mainClass = Class.forName(parts[0]);
            boolean found = false;
            for (Method method : mainClass.getDeclaredMethods()) {
                if (method.getName().equals(methodName)) found = true;
            }
            if (!found) throw new NoSuchMethodException(methodName);
        } catch (Throwable e) {
            e.printStackTrace(System.err);
            System.err.flush();
            reply(out, failure("An error has occurred (see logs for details): " + e));
            return;
        }
        reply(out, "{\"ok\": true}");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                answer = run(mainClass, methodName, JsonParser.parseString(line).getAsJsonObject());
            } catch (InvocationTargetException ite) {
                Throwable underlying = ite.getCause() != null ? ite.getCause() : ite;
                underlying.printStackTrace(System.err);
                answer = failure("An error has occurred while invoking the action (see logs for details): " + underlying);
            } catch (Throwable e) {
                e.printStackTrace(System.err);
                answer = failure("An error has occurred (see logs for details): " + e);
            }
            System.out.flush();
            System.err.flush();
            reply(out, answer);
        }
    }

    private static String run(Class<?> mainClass, String methodName, JsonObject body) throws Exception {
        JsonElement value = body.get("value");
        JsonObject params = value != null && value.isJsonObject() ? value.getAsJsonObject() : new JsonObject();
        Map<String, String> env = new HashMap<>();
        for (Map.Entry<String, JsonElement> entry : body.entrySet()) {
            if (entry.getKey().equalsIgnoreCase("value")) continue;
            try {
                env.put("__OW_" + entry.getKey().toUpperCase(), entry.getValue().getAsString());
            } catch (Exception ignored) {
                // fields that are not strings are not exported, as in the runtime
            }
        }
        Method method = mainClass.getMethod(methodName, JsonObject.class);
        method.setAccessible(true);
        int modifiers = method.getModifiers();
        if (method.getReturnType() != JsonObject.class || !Modifier.isStatic(modifiers) || !Modifier.isPublic(modifiers)) {
            throw new NoSuchMethodException(methodName);
        }
        augmentEnv(env);
        Object output = method.invoke(null, params);
        if (output == null) throw new NullPointerException("The action returned null");
        return output.toString();
    }

    /** Makes System.getenv() see the __OW_* values, as the runtime does (needs --add-opens java.base/java.util). */
    @SuppressWarnings("unchecked")
    private static void augmentEnv(Map<String, String> values) {
        try {
            for (Class<?> cl : Collections.class.getDeclaredClasses()) {
                if ("java.util.Collections$UnmodifiableMap".equals(cl.getName())) {
                    Field field = cl.getDeclaredField("m");
                    field.setAccessible(true);
                    ((Map<String, String>) field.get(System.getenv())).putAll(values);
                }
            }
        } catch (Exception ignored) {
            // the action still runs; only System.getenv() lacks the values
        }
    }

    /**
     * fd 3, where results go. Node.js hands it over as a socket, which /dev/fd/3 cannot open, so
     * the descriptor is made directly (needs --add-opens java.base/java.io).
     */
    private static FileDescriptor resultDescriptor() throws Exception {
        FileDescriptor descriptor = new FileDescriptor();
        Field fd = FileDescriptor.class.getDeclaredField("fd");
        fd.setAccessible(true);
        fd.setInt(descriptor, 3);
        return descriptor;
    }

    private static String failure(String message) {
        JsonObject error = new JsonObject();
        error.addProperty(DEVELOPER_ERROR, message);
        return error.toString();
    }

    private static void reply(PrintWriter out, String line) {
        out.println(line);
        out.flush();
    }
}
