import { AiGatewayValidationError } from '../../private/errors';

/**
 * The parser vLLM uses to read tool calls out of a model's output (`vllm serve
 * --enable-auto-tool-choice --tool-call-parser <name>`). Without one, vLLM refuses `tool_choice:
 * auto` and the gateway's target has no `tools` capability (routing skips it for tool requests).
 * Each model family writes its calls in its own format: pick the parser the model card names.
 *
 * The names are those vLLM registers (vLLM "Tool Calling" documentation and the modules of
 * `vllm/entrypoints/openai/tool_parsers`, v0.9–0.10: hermes, mistral, llama3_json,
 * llama4_pythonic, pythonic, granite, internlm, jamba, deepseek_v3, xlam). A parser of a newer vLLM
 * release: `ToolCallParser.of('name')`.
 */
export class ToolCallParser {
  /** Hermes 2 Pro / Hermes 3 format (`<tool_call>` JSON), also used by Qwen 2.5 and Qwen 3 instruct models. */
  public static readonly HERMES: ToolCallParser = new ToolCallParser('hermes');
  /** Mistral models (`[TOOL_CALLS]`). */
  public static readonly MISTRAL: ToolCallParser = new ToolCallParser('mistral');
  /** Llama 3.1, 3.2 and 3.3 JSON tool calls. */
  public static readonly LLAMA3_JSON: ToolCallParser = new ToolCallParser('llama3_json');
  /** Llama 4 pythonic tool calls. */
  public static readonly LLAMA4_PYTHONIC: ToolCallParser = new ToolCallParser('llama4_pythonic');
  /** Models that write calls as a Python list of calls (for example Llama 3.2 1B/3B, ToolACE). */
  public static readonly PYTHONIC: ToolCallParser = new ToolCallParser('pythonic');
  /** IBM Granite 3.x. */
  public static readonly GRANITE: ToolCallParser = new ToolCallParser('granite');
  /** InternLM 2.5. */
  public static readonly INTERNLM: ToolCallParser = new ToolCallParser('internlm');
  /** AI21 Jamba 1.5. */
  public static readonly JAMBA: ToolCallParser = new ToolCallParser('jamba');
  /** DeepSeek V3 and R1-0528. */
  public static readonly DEEPSEEK_V3: ToolCallParser = new ToolCallParser('deepseek_v3');
  /** Salesforce xLAM. */
  public static readonly XLAM: ToolCallParser = new ToolCallParser('xlam');

  /** Parser names: lower-case letters, digits, `_`, `-` and `.`, as vLLM's registry spells them. */
  public static readonly NAME_PATTERN: string = '^[a-z0-9][a-z0-9_.-]{0,63}$';

  /**
   * A parser by its vLLM name (one this class does not list, from a newer vLLM release).
   *
   * @example ToolCallParser.of('qwen3_coder')
   */
  public static of(name: string): ToolCallParser {
    if (!new RegExp(ToolCallParser.NAME_PATTERN).test(name)) {
      throw new AiGatewayValidationError(`ToolCallParser.of: name must be a vLLM tool parser name (lower-case letters, digits, '_', '-' or '.', at most 64 characters, such as 'hermes'); received '${name}'.`);
    }
    return new ToolCallParser(name);
  }

  private constructor(
    /** The name passed to `--tool-call-parser`. */
    public readonly name: string,
  ) {}
}
