"""Sampling from sequence models, on real trained models: text written from a prompt, temperature as
softmax(logits / T), reproducible seeds, and a per-token model's answer with its attention rows."""
import numpy as np
import pytest
import torch

from conftest import analyze_doc, load_example
from playground import inspection, sampling
from playground.i18n import using
from playground.inspection import InputError
from playground.model import build_model
from playground.training.trainer import Trainer

TEXT_EPOCHS, REVERSE_EPOCHS = 3, 4


def _trained(doc: dict, epochs: int) -> tuple:
    """(analysis, model, last epoch record) after `epochs` epochs of headless training."""
    a = analyze_doc(doc)
    trainer = Trainer(a)
    record = None
    while trainer.epoch < epochs:
        _, rec = trainer.train_step()
        record = rec or record
    return a, trainer.model.eval(), record


@pytest.fixture(scope="module")
def text_model():
    doc = load_example("transformer_text")
    doc["dataset"]["n_samples"] = 1500
    return _trained(doc, TEXT_EPOCHS)


@pytest.fixture(scope="module")
def reverse_model():
    return _trained(load_example("transformer_reverse"), REVERSE_EPOCHS)


def test_a_trained_text_model_writes_text_from_its_vocabulary_that_reads_more_like_english(text_model):
    a, model, _ = text_model
    vocab = set(a.dataset.vocab)
    gen = sampling.generate(model, a, "Alice was ", 200, temperature=0.8, seed=1)
    assert gen.prompt == "alice was "  # the corpus is lower case, and so is its vocabulary
    assert len(gen.text) == 200 and set(gen.text) <= vocab
    untrained = sampling.generate(build_model(a), a, "alice was ", 200, temperature=0.8, seed=1)

    def english(text: str) -> float:  # share of characters that are letters or spaces, as in the corpus (~97 %)
        return sum(c.isalpha() or c == " " for c in text) / len(text)
    assert english(gen.text) > 0.9 > english(untrained.text)
    common = ("the ", " and ", " she ", " to ", " a ", " it ", " was ", " of ")
    assert any(w in gen.text for w in common), gen.text  # trained: common English words appear


def test_greedy_is_deterministic_and_ignores_the_seed(text_model):
    a, model, _ = text_model
    first = sampling.generate(model, a, "the queen ", 60, temperature=0, seed=0)
    assert first.greedy
    assert sampling.generate(model, a, "the queen ", 60, temperature=0, seed=12345).text == first.text
    # each greedy character is the argmax of the model's next-character scores at that point
    ids = sampling.encode(a.dataset, first.prompt)
    for k in range(10):
        expected = int(sampling.next_logits(model, a, ids).argmax())
        assert a.dataset.vocab[expected] == first.text[k]
        ids.append(expected)
    assert first.probs.max() == 1.0 and first.probs.sum() == 1.0


def test_a_seed_reproduces_a_sample_and_another_seed_gives_another(text_model):
    a, model, _ = text_model
    one = sampling.generate(model, a, "alice ", 80, temperature=1.0, seed=7)
    assert sampling.generate(model, a, "alice ", 80, temperature=1.0, seed=7).text == one.text
    assert sampling.generate(model, a, "alice ", 80, temperature=1.0, seed=8).text != one.text
    torch.manual_seed(0)  # the global generator plays no part: the request's own seeded generator does
    assert sampling.generate(model, a, "alice ", 80, temperature=1.0, seed=7).text == one.text


@pytest.mark.parametrize("temperature", [0.25, 0.5, 1.0, 1.5, 2.0])
def test_temperature_scales_the_models_logits_exactly(text_model, temperature):
    a, model, _ = text_model
    gen = sampling.generate(model, a, "down the rabbit", 1, temperature=temperature, seed=0)
    ids = torch.tensor([sampling.encode(a.dataset, gen.prompt)])
    with torch.no_grad():
        logits = model(ids)[0, -1]  # the oracle: the model's raw output at the last position
    torch.testing.assert_close(torch.from_numpy(gen.logits), logits)
    torch.testing.assert_close(torch.from_numpy(gen.probs), torch.softmax(logits / temperature, dim=-1))
    if temperature == 1.0:  # T = 1 is exactly what Inspect shows as the model's probabilities
        p = inspection.probabilities(model(ids).detach(), a)[0, -1]
        torch.testing.assert_close(torch.from_numpy(gen.probs), p)


def test_low_temperature_sharpens_and_high_temperature_flattens(text_model):
    a, model, _ = text_model
    probs = {T: sampling.generate(model, a, "alice was ", 1, temperature=T, seed=0).probs for T in (0.3, 1.0, 2.0)}
    entropy = {T: float(-(p * np.log(np.clip(p, 1e-12, 1))).sum()) for T, p in probs.items()}
    assert entropy[0.3] < entropy[1.0] < entropy[2.0]
    assert probs[0.3].argmax() == probs[1.0].argmax() == probs[2.0].argmax()  # the order of the characters stays
    # sampled at T = 0.3, the characters are nearly always the top choice; at T = 2 far less often
    top = sampling.generate(model, a, "alice was ", 1, temperature=0, seed=0).text
    draws = {T: [sampling.generate(model, a, "alice was ", 1, temperature=T, seed=s).text for s in range(40)] for T in (0.3, 2.0)}
    assert draws[0.3].count(top) > draws[2.0].count(top)


@pytest.mark.parametrize("last", ["Softmax", "LogSoftmax"])
def test_the_logits_of_a_model_ending_in_softmax_give_its_own_probabilities(last):
    doc = load_example("transformer_text")
    doc["layers"].append({"type": last, "dim": -1})
    doc["loss"] = {"type": "NLLLoss"} if last == "LogSoftmax" else doc["loss"]
    a = analyze_doc(doc)
    model = build_model(a).eval()
    ids = torch.tensor([sampling.encode(a.dataset, "alice")])
    with torch.no_grad():
        out = model(ids)
    z = sampling.scores(out[0, -1], a)
    torch.testing.assert_close(z.softmax(-1), inspection.probabilities(out, a)[0, -1])


@pytest.mark.parametrize("lang, prompt, says", [
    ("en", "café ☕", "'é' and '☕' are not in the text's alphabet, so the model has never seen them"),
    ("zh", "你好", "“你” 和 “好” 不在这段文本的字符表里"),
    ("en", "", "Type a prompt of at least one character"),
])
def test_a_prompt_outside_the_vocabulary_gets_one_sentence(lang, prompt, says):
    ds = analyze_doc(load_example("transformer_text")).dataset
    with pytest.raises(InputError) as e, using(lang):
        sampling.encode(ds, prompt)
    with using(lang):
        text = str(e.value)
    assert text.startswith(says) and "\n" not in text


def test_the_context_is_the_last_seq_len_characters(text_model):
    a, model, _ = text_model
    seq_len = a.dataset.input_shape[0]
    long = "alice was beginning to get very tired of sitting by her sister on the bank"
    ids = sampling.encode(a.dataset, long)
    torch.testing.assert_close(sampling.next_logits(model, a, ids), sampling.next_logits(model, a, ids[-seq_len:]))


def test_top_k_lists_the_most_likely_tokens_first():
    probs = np.array([0.1, 0.5, 0.05, 0.35])
    assert sampling.top_k(probs, 3).tolist() == [1, 3, 0]
    assert sampling.top_k(np.array([0.2, 0.4, 0.2, 0.2]), 3).tolist() == [1, 0, 2]  # ties in vocabulary order


def test_the_trained_reverse_model_answers_a_typed_sequence_with_its_attention_rows(reverse_model):
    a, model, record = reverse_model
    assert record.test_accuracy >= 0.99, record  # the example learns to reverse within a few epochs
    x, info = inspection.prepare_input(a.dataset, raw="3 1 4 1 5 9 2 6")
    tr = inspection.trace(model, a, x)
    assert tr.prediction_labels == ["6", "2", "9", "5", "1", "4", "1", "3"] == info["target_tokens"]
    rows = sampling.attention_rows(tr, 0)
    heads = sum(att.heads for att in tr.attention)
    assert rows.weights.shape == (heads, 8)
    np.testing.assert_allclose(rows.weights.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(rows.weights[0], tr.attention[0].weights[0, 0])
    assert rows.layers[0] == tr.attention[0].label and rows.heads[:2] == [1, 2]


def test_a_recurrent_text_model_writes_too():
    doc = {"dataset": {"name": "text", "n_samples": 300, "seq_len": 16},
           "layers": [{"type": "Embedding", "embedding_dim": 16}, {"type": "LSTM", "hidden_size": 32},
                      {"type": "Linear", "out_features": 39}]}
    a = analyze_doc(doc)
    assert a.ok, a.problems
    gen = sampling.generate(build_model(a), a, "the cat", 40, temperature=1.0, seed=3)
    assert len(gen.text) == 40 and set(gen.text) <= set(a.dataset.vocab)
