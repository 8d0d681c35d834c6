"""Text and sequence-to-sequence models from keras.io/examples/nlp."""

from __future__ import annotations

from typing import Any


def text_classification_conv1d() -> Any:
    """keras.io/examples/nlp/text_classification_from_scratch ("Text classification from
    scratch"): Embedding, two strided Conv1D, global max pooling, a sigmoid head."""
    import keras
    from keras import layers

    max_features, embedding_dim = 20000, 128
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    return keras.Model(inputs, predictions, name="text_conv1d")


def bidirectional_lstm_imdb() -> Any:
    """keras.io/examples/nlp/bidirectional_lstm_imdb ("Bidirectional LSTM on IMDB"): two
    stacked Bidirectional LSTMs over an Embedding."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(20000, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="bilstm_imdb")


def transformer_text_classification() -> Any:
    """keras.io/examples/nlp/text_classification_with_transformer ("Text classification with
    Transformer"). The source's custom TokenAndPositionEmbedding and TransformerBlock layers
    are written with plain layers: token and position Embeddings added (the positions
    0..maxlen-1 come in as a second integer input instead of ops.arange inside the layer),
    then MultiHeadAttention, Dropout, residual adds with LayerNormalization and a Dense
    feed-forward pair."""
    import keras
    from keras import layers

    vocab_size, maxlen, embed_dim, num_heads, ff_dim = 20000, 200, 32, 2, 32
    tokens = keras.Input(shape=(maxlen,), dtype="int32", name="tokens")
    positions = keras.Input(shape=(maxlen,), dtype="int32", name="positions")
    x = layers.Add()([layers.Embedding(vocab_size, embed_dim)(tokens), layers.Embedding(maxlen, embed_dim)(positions)])
    attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)(x, x)
    attention = layers.Dropout(0.1)(attention)
    out1 = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, attention]))
    ffn = layers.Dense(ff_dim, activation="relu")(out1)
    ffn = layers.Dense(embed_dim)(ffn)
    ffn = layers.Dropout(0.1)(ffn)
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([out1, ffn]))
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=[tokens, positions], outputs=outputs, name="text_transformer")


NUM_ENCODER_TOKENS, NUM_DECODER_TOKENS, LATENT_DIM = 71, 93, 256


def _seq2seq_layers() -> tuple[Any, Any, Any, Any]:
    """The character-level seq2seq's encoder input, encoder states, decoder input, decoder
    LSTM and softmax layer (keras.io/examples/nlp/lstm_seq2seq)."""
    import keras
    from keras import layers

    encoder_inputs = keras.Input(shape=(None, NUM_ENCODER_TOKENS))
    _, state_h, state_c = layers.LSTM(LATENT_DIM, return_state=True)(encoder_inputs)
    decoder_lstm = layers.LSTM(LATENT_DIM, return_sequences=True, return_state=True)
    decoder_dense = layers.Dense(NUM_DECODER_TOKENS, activation="softmax")
    return encoder_inputs, [state_h, state_c], decoder_lstm, decoder_dense


def seq2seq_training() -> Any:
    """keras.io/examples/nlp/lstm_seq2seq ("Character-level recurrent sequence-to-sequence
    model"), the training model: the encoder LSTM's states start the decoder LSTM."""
    import keras

    encoder_inputs, encoder_states, decoder_lstm, decoder_dense = _seq2seq_layers()
    decoder_inputs = keras.Input(shape=(None, NUM_DECODER_TOKENS))
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs, name="seq2seq_training")


def seq2seq_inference_encoder() -> Any:
    """keras.io/examples/nlp/lstm_seq2seq, the inference encoder: input -> the two states."""
    import keras

    encoder_inputs, encoder_states, _, _ = _seq2seq_layers()
    return keras.Model(encoder_inputs, encoder_states, name="seq2seq_encoder")


def seq2seq_inference_decoder() -> Any:
    """keras.io/examples/nlp/lstm_seq2seq, the inference decoder: one step from given states,
    returning the next-character distribution and the new states."""
    import keras

    _, _, decoder_lstm, decoder_dense = _seq2seq_layers()
    decoder_inputs = keras.Input(shape=(None, NUM_DECODER_TOKENS))
    state_input_h = keras.Input(shape=(LATENT_DIM,))
    state_input_c = keras.Input(shape=(LATENT_DIM,))
    states_inputs = [state_input_h, state_input_c]
    decoder_outputs, state_h, state_c = decoder_lstm(decoder_inputs, initial_state=states_inputs)
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([decoder_inputs, *states_inputs], [decoder_outputs, state_h, state_c],
                       name="seq2seq_decoder")


MODELS = {
    "text_classification_conv1d": text_classification_conv1d,
    "bidirectional_lstm_imdb": bidirectional_lstm_imdb,
    "transformer_text_classification": transformer_text_classification,
    "seq2seq_training": seq2seq_training,
    "seq2seq_inference_encoder": seq2seq_inference_encoder,
    "seq2seq_inference_decoder": seq2seq_inference_decoder,
}
