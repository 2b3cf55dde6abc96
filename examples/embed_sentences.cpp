// Embeds the lines of stdin with the C++ API and prints, for each sentence,
// the most similar other one (cosine similarity of the embeddings).
//
//   embed_sentences MODEL_DIR < sentences.txt
#include <attn/attn.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " MODEL_DIR < sentences.txt\n";
    return 2;
  }
  try {
    const auto model = attn::Model::load(argv[1]);
    attn::Session session(model);
    std::vector<std::string> sentences;
    for (std::string line; std::getline(std::cin, line);) {
      if (!line.empty()) sentences.push_back(line);
    }
    const auto embeddings = attn::embed(session, sentences, {.normalize = true});
    std::cout << sentences.size() << " sentences, " << model->info().hidden_size << " dimensions\n";
    for (size_t i = 0; i < sentences.size(); ++i) {
      size_t best = i;
      float best_similarity = -2.f;
      for (size_t j = 0; j < sentences.size(); ++j) {
        if (j == i) continue;
        float dot = 0.f;  // unit vectors: the dot product is the cosine
        for (size_t k = 0; k < embeddings[i].vector.size(); ++k) dot += embeddings[i].vector[k] * embeddings[j].vector[k];
        if (dot > best_similarity) best_similarity = dot, best = j;
      }
      std::printf("%-40s -> %s (%.3f)\n", sentences[i].c_str(), sentences[best].c_str(), best_similarity);
    }
  } catch (const attn::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
