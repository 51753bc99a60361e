"""The one file a mentor edits: the course, its weeks, grading limits and late policy.

Plain values only. `coursekit` reads this file and rejects unknown weeks, wrong types
and impossible limits with a one-line message naming the field.
"""

from coursekit.config import Course, LatePolicy, Limits, Week

COURSE = Course(
    title="Learning the latent structure in LLMs",
    seed=1234,  # seeds random, numpy and torch before every cell run for grading
    min_mistakes_per_function=3,  # validate fails a graded function with fewer
    min_variants_per_function=2,  # validate fails a graded function with fewer accepted variants
    weeks=(
        Week(
            number=1,
            slug="week01_embeddings",
            title="Word embeddings: from co-occurrence counts and PPMI-SVD to word2vec",
            notebooks=("embeddings.ipynb",),
            data=("wordnet_glosses",),  # corpus.txt.gz; the evaluation sets are read from gensim's test data
            points=100,
            due="2026-11-06T23:59:00+00:00",
        ),
        Week(
            number=2,
            slug="week02_nn_cnn",
            title="PyTorch and neural networks from the inside: backprop, convolutions, partial convolutions",
            notebooks=("nn_cnn.ipynb",),
            data=(),  # scikit-learn's bundled digits; nothing shipped
            points=100,
            due="2026-11-13T23:59:00+00:00",
        ),
        Week(
            number=3,
            slug="week03_text_classification",
            title="Text classification: naive Bayes, softmax regression, a CNN, and evaluation done right",
            notebooks=("text_classification.ipynb",),
            data=("wordnet_glosses", "sotu_party"),
            points=100,
            due="2026-11-20T23:59:00+00:00",
        ),
        Week(
            number=4,
            slug="week04_language_models",
            title="Language models: n-grams, Kneser-Ney, neural LMs and how to evaluate them",
            notebooks=("language_models.ipynb",),
            data=("shakespeare",),  # week 8's corpus and split
            points=100,
            due="2026-11-27T23:59:00+00:00",
        ),
        Week(
            number=5,
            slug="week05_encoder_decoder",
            title="Encoder-decoders: autoencoders, a VAE, spelling to sound with attention and beam search",
            notebooks=("encoder_decoder.ipynb",),
            data=("cmudict",),
            points=100,
            due="2026-12-04T23:59:00+00:00",
        ),
        Week(
            number=6,
            slug="week06_transformer",
            title="Attention and the transformer from scratch",
            notebooks=("transformer.ipynb",),
            data=("seq2seq",),  # folders of data/ copied next to the released notebook
            points=100,
            due="2026-12-11T23:59:00+00:00",
        ),
        Week(
            number=7,
            slug="week07_transfer",
            title="Transfer learning: pretrained word vectors in GPT and BERT, probing vs fine-tuning",
            notebooks=("transfer.ipynb",),
            data=("wordnet_glosses", "pretrained", "shakespeare"),  # shakespeare: the gpu-extra cell's extra text
            points=100,
            due="2026-12-18T23:59:00+00:00",
        ),
        Week(
            number=8,
            slug="week08_bert_gpt",
            title="BERT and miniGPT trained from scratch",
            notebooks=("bert_gpt.ipynb",),
            data=("shakespeare",),
            points=100,
            due="2026-12-25T23:59:00+00:00",
        ),
        Week(
            number=9,
            slug="week09_instructions",
            title="Aligning miniGPT to instructions: SFT with masked labels, then DPO",
            notebooks=("instructions.ipynb",),
            data=("instructions", "shakespeare"),  # shakespeare: the gpu-extra cell pretrains a larger model
            points=100,
            due="2027-01-01T23:59:00+00:00",
        ),
        Week(
            number=10,
            slug="week10_knowledge",
            title="Language models as knowledge bases: storing, extracting and locating facts",
            notebooks=("knowledge.ipynb",),
            data=("knowledge",),
            points=100,
            due="2027-01-08T23:59:00+00:00",
        ),
    ),
    limits=Limits(
        cell_timeout_s=60,  # one notebook cell (train and gpu-extra cells are skipped)
        check_timeout_s=20,  # one probe calling the learner's function
        notebook_timeout_s=300,  # the whole submission, cells and probes
        memory_mb=4096,  # address space; torch alone maps about 1 GB
        max_processes=64,
        max_file_mb=64,
        max_output_mb=64,  # probe outputs written back from the sandbox
    ),
    late=LatePolicy(grace_minutes=15, penalty_per_day=0.10, max_days_late=7),
)
